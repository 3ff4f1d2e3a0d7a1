import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'
import { unauthenticated, type SessionVars } from '../http/unauthenticated.js'
import { readCookie } from '../http/read-cookie.js'
import type { SessionManager } from '../session/session-manager.js'

/**
 * Resolves the session cookie into `c.var.auth` (or leaves it unset), and passes on a rotated
 * or re-sealed cookie in the response. It refuses nothing itself: routes that need a session
 * use `requireSession`.
 */
export function sessionMiddleware(sessions: SessionManager) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const value = readCookie(c.req.header('cookie'), sessions.cookie.name)
    const result = await sessions.authenticate(value, { clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null })
    if (result.ok) {
      c.set('auth', { session: result.session, user: result.user })
    } else if (result.clearCookie) {
      c.set('clearCookie', true)
      if (result.reason !== undefined) c.set('endedReason', result.reason)
    }
    await next()
    if (result.ok && result.setCookie !== undefined && c.get('auth')?.session.id === result.session.id) {
      c.res.headers.append('set-cookie', result.setCookie)
    } else if (!result.ok && result.clearCookie && !c.res.headers.has('set-cookie')) {
      c.res.headers.append('set-cookie', sessions.cookie.clear())
    }
  })
}

/** The authenticated user and session, or a 401. */
export function requireAuth(c: SessionVars) {
  const auth = c.get('auth')
  if (auth === undefined) throw unauthenticated(c)
  return auth
}
