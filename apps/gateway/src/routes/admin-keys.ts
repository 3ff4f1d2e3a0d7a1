import { Hono } from 'hono'
import { z } from 'zod'
import type { KeyManager } from '@gatehouse/tokens'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'

export const RotateBody = z.strictObject({ emergency: z.boolean().optional() })

/** `POST /admin/keys/rotate`; mounted at /admin behind requireRole('admin'). */
export function adminKeyRoutes(keys: Pick<KeyManager, 'rotate'>) {
  const app = new Hono<AppEnv>()
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
    return c.json(result)
  })
  return app
}
