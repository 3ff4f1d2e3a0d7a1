import { Hono } from 'hono'
import { z } from 'zod'
import type { KeyManager } from '@gatehouse/tokens'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'

export const RotateBody = z.strictObject({ emergency: z.boolean().optional() })

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** `GET /admin/keys`, `POST /admin/keys/rotate`; mounted at /admin behind requireRole('admin'). */
export function adminKeyRoutes(keys: Pick<KeyManager, 'rotate' | 'list'>) {
  const app = new Hono<AppEnv>()
  // Every published key: `next` (published, signs from `signsFrom`), `signing`, `retiring` (signs
  // no more, stays in the JWKS until `publishedUntil` so the tokens it signed still verify).
  app.get('/keys', async (c) => {
    c.header('cache-control', 'no-store')
    const list = await keys.list()
    return c.json({
      keys: list.map((k) => ({ ...k, createdAt: iso(k.createdAt), signsFrom: iso(k.signsFrom), signsUntil: iso(k.signsUntil), publishedUntil: iso(k.publishedUntil) })),
    })
  })
  app.post('/keys/rotate', async (c) => {
    // The body is optional: no body is a normal rotation.
    const hasBody = c.req.header('content-type') !== undefined || Number(c.req.header('content-length') ?? '0') > 0
    const { emergency = false } = hasBody ? await readJson(c, RotateBody) : {}
    const admin = c.get('auth')!.user
    const result = await keys.rotate({
      emergency,
      origin: { actor: `admin:${admin.id}`, userId: admin.id, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null },
    })
    c.header('cache-control', 'no-store')
    return c.json({ ...result, signsFrom: iso(result.signsFrom) })
  })
  return app
}
