import type { Context } from 'hono'
import type { z } from 'zod'
import { GatewayError } from '../errors.js'

/** Largest JSON body any /auth or /admin route accepts. */
export const MAX_JSON_BODY = 16 * 1024

/**
 * Reads and validates a JSON body: wrong media type 415, too large 413, not JSON or not the
 * expected shape 400 with the failing fields named (never their values: one may be a password).
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) throw new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE')
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > MAX_JSON_BODY) throw new GatewayError('ERR_PAYLOAD_TOO_LARGE')
  const text = await readLimited(c.req.raw, MAX_JSON_BODY)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new GatewayError('ERR_BAD_REQUEST', { detail: 'the body is not valid JSON' })
  }
  const result = schema.safeParse(value)
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || '(body)'))]
    throw new GatewayError('ERR_BAD_REQUEST', { detail: `invalid fields: ${fields.join(', ')}`, extensions: { fields } })
  }
  return result.data
}

async function readLimited(request: Request, limit: number): Promise<string> {
  if (request.body === null) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw new GatewayError('ERR_PAYLOAD_TOO_LARGE')
    }
    chunks.push(value)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw new GatewayError('ERR_BAD_REQUEST', { detail: 'the body is not valid UTF-8' })
  }
}
