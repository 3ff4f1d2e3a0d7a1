import { base64url } from 'jose'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'

export interface CompactParts {
  header: string
  payload: string
  signature: string
}

// Header and payload must be non-empty; the signature may be empty so that an
// `alg: none` token reaches the header check and is refused as such.
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function malformed(message: string, cause?: unknown): GatehouseTokenError {
  return new GatehouseTokenError(TOKEN_ERROR_CODES.tokenMalformed, message, { cause })
}

/** Shape checks only; nothing is decoded here, and the length check runs before even the regex. */
export function splitCompact(token: unknown, maxTokenLength: number): CompactParts {
  if (typeof token !== 'string' || token.length === 0) {
    throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenMissing, 'no token')
  }
  if (token.length > maxTokenLength) {
    throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenTooLong, `token longer than ${maxTokenLength} characters`)
  }
  const match = COMPACT_JWS.exec(token)
  if (match === null) throw malformed('token is not a compact JWS (three base64url segments)')
  const [, header = '', payload = '', signature = ''] = match
  return { header, payload, signature }
}

/** Decodes one base64url segment into a JSON object, refusing anything that is not a plain object. */
export function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  // A length of 4n+1 cannot be produced by any byte string; decoders disagree on it, so refuse it.
  if (segment.length % 4 === 1) throw malformed(`${what} is not valid base64url`)
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(base64url.decode(segment)))
  } catch (cause) {
    throw malformed(`${what} is not base64url-encoded UTF-8 JSON`, cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/** For the verified payload, which jose hands back as bytes. */
export function parsePayload(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(bytes))
  } catch (cause) {
    throw malformed('payload is not UTF-8 JSON', cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('payload is not a JSON object')
  return value as Record<string, unknown>
}
