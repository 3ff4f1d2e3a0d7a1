import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Store } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'
import { adminUserView, anomalyView, deviceView } from '../http/views.js'
import type { SessionManager } from '../session/session-manager.js'
import type { Actor, UserAdmin } from '../users/user-admin.js'

export const RolesBody = z.object({ roles: z.array(z.string().max(32)).max(32) })

export interface AdminUserRoutesDeps {
  store: Store
  users: UserAdmin
  sessions: SessionManager
  clock: Clock
}

function actorOf(c: Context<AppEnv>): Actor {
  return { actor: `admin:${c.get('auth')!.user.id}`, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null }
}

/** Section 5 of the contract; mounted at /admin behind requireRole('admin'). */
export function adminUserRoutes({ store, users, sessions, clock }: AdminUserRoutesDeps) {
  const app = new Hono<AppEnv>()

  async function target(id: string) {
    const user = await store.findUserById(id)
    if (user === null) throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such user' })
    return user
  }

  app.get('/users', async (c) => c.json({ users: (await store.listUsers()).map(adminUserView), knownRoles: users.knownRoles }))

  app.get('/users/:id/sessions', async (c) => {
    const user = await target(c.req.param('id'))
    const live = await store.listActiveSessions(user.id, clock.now())
    // What the anomaly policy flagged on these sessions (session.anomaly events), newest first.
    const flags = new Map<string, ReturnType<typeof anomalyView>[]>()
    for (const e of await store.listAudit({ userId: user.id, type: 'session.anomaly', limit: 1000 })) {
      if (e.sessionId !== null) flags.set(e.sessionId, [...(flags.get(e.sessionId) ?? []), anomalyView(e)])
    }
    return c.json({
      sessions: live.map((s) => ({ ...deviceView(s), clientIp: s.clientIp, anomalies: flags.get(s.id) ?? [] })),
    })
  })

  app.delete('/users/:id/sessions', async (c) => {
    const user = await target(c.req.param('id'))
    const { actor: _, ...origin } = actorOf(c)
    await sessions.revokeAllOfUser(user.id, 'admin_revoked', origin)
    return c.body(null, 204)
  })

  app.put('/users/:id/roles', async (c) => {
    const user = await target(c.req.param('id'))
    const { roles } = await readJson(c, RolesBody)
    return c.json({ user: adminUserView(await users.setRoles(user.id, roles, actorOf(c))) })
  })

  app.post('/users/:id/suspend', async (c) => {
    const user = await target(c.req.param('id'))
    return c.json({ user: adminUserView(await users.suspend(user.id, actorOf(c))) })
  })

  app.delete('/users/:id', async (c) => {
    const user = await target(c.req.param('id'))
    await users.delete(user.id, actorOf(c))
    return c.body(null, 204)
  })

  app.post('/users/:id/unsuspend', async (c) => {
    const user = await target(c.req.param('id'))
    return c.json({ user: adminUserView(await users.unsuspend(user.id, actorOf(c))) })
  })

  return app
}
