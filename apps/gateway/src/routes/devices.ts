import { Hono } from 'hono'
import type { Store } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { deviceView } from '../http/views.js'
import { requireAuth } from '../middleware/session.js'
import type { SessionManager } from '../session/session-manager.js'

export interface DeviceRoutesDeps {
  store: Store
  sessions: SessionManager
  clock: Clock
}

/** "Your devices": the user's own live sessions, and logging them out. Mounted at /auth/sessions. */
export function deviceRoutes({ store, sessions, clock }: DeviceRoutesDeps) {
  const app = new Hono<AppEnv>()
  const origin = (c: { get(k: 'clientIp'): string; req: { header(n: string): string | undefined } }) => ({
    clientIp: c.get('clientIp'),
    userAgent: c.req.header('user-agent') ?? null,
  })

  app.get('/', async (c) => {
    const { session: current, user } = requireAuth(c)
    const live = await store.listActiveSessions(user.id, clock.now())
    c.header('cache-control', 'no-store')
    return c.json({
      sessions: live.map((s) => deviceView(s, current.id)),
    })
  })

  app.delete('/:id', async (c) => {
    const { session: current, user } = requireAuth(c)
    const id = c.req.param('id')
    const target = await store.findSession(id)
    // Another user's session and an unknown one look the same: 404.
    if (target === null || target.userId !== user.id || target.revokedAt !== null) throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such session' })
    await sessions.revoke(id, id === current.id ? 'logout' : 'device_revoked', { userId: user.id, ...origin(c) })
    if (id === current.id) {
      c.set('auth', undefined)
      c.header('set-cookie', sessions.cookie.clear())
    }
    return c.body(null, 204)
  })

  app.delete('/', async (c) => {
    const { session: current, user } = requireAuth(c)
    const except = c.req.query('except')
    if (except !== undefined && except !== 'current') throw new GatewayError('ERR_BAD_REQUEST', { detail: 'except takes only "current"' })
    await sessions.revokeAllOfUser(user.id, 'logout_everywhere', {
      ...origin(c),
      ...(except === 'current' ? { exceptSessionId: current.id } : {}),
    })
    if (except !== 'current') {
      c.set('auth', undefined)
      c.header('set-cookie', sessions.cookie.clear())
    }
    return c.body(null, 204)
  })

  return app
}
