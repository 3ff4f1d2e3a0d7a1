import { verifiedHeader } from '@gatehouse/demo-service'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { GatehouseVerifier } from '@gatehouse/verify'
import { gatehouseAuth, INSUFFICIENT_ROLE_CODE, type GatehouseAuthVariables } from '@gatehouse/verify/hono'

type Env = { Variables: GatehouseAuthVariables }

export interface ProfileAppOptions {
  /** Built with issuer = the gateway's public origin, audience "profile". */
  verifier: GatehouseVerifier
  now?: () => Date
}

function problem(c: Context, status: 403 | 404, code: string, title: string) {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, code }), status, { 'content-type': 'application/problem+json' })
}

/** Role check on claims already verified by gatehouseAuth, answered like its own 403. */
const requireRole = (role: string) =>
  createMiddleware<Env>(async (c, next) => {
    if (!c.get('auth').roles.includes(role)) return problem(c, 403, INSUFFICIENT_ROLE_CODE, 'Forbidden')
    await next()
  })

/** The demo profile service: tells the caller what the gateway's token said about them. */
export function createProfileApp({ verifier, now = () => new Date() }: ProfileAppOptions) {
  const startedAt = now()
  const stats = { requests: 0, users: new Set<string>(), sessions: new Set<string>() }
  const app = new Hono<Env>()
  app.notFound((c) => problem(c, 404, 'ERR_NOT_FOUND', 'Not Found'))
  app.use('*', gatehouseAuth({ verifier }))
  app.use('*', async (c, next) => {
    const { sub, sid } = c.get('auth')
    stats.requests++
    stats.users.add(sub)
    stats.sessions.add(sid)
    await next()
  })

  app.get('/me', (c) => {
    const claims = c.get('auth')
    return c.json({ sub: claims.sub, sid: claims.sid, roles: claims.roles, token: claims })
  })

  // What this service verified, side by side with what the browser holds (the demo's "under the
  // hood" view): the token's header fields and claims, never the token.
  app.get('/token', (c) => c.json({ service: 'profile', header: verifiedHeader(c.req.header('authorization')), claims: c.get('auth') }))

  app.get('/admin/stats', requireRole('admin'), (c) =>
    c.json({
      requests: stats.requests,
      users: stats.users.size,
      sessions: stats.sessions.size,
      startedAt: startedAt.toISOString(),
      uptimeS: Math.floor((now().getTime() - startedAt.getTime()) / 1000),
    }),
  )
  return app
}
