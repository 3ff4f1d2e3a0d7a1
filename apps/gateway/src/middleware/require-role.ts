import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { unauthenticated } from '../http/unauthenticated.js'

/** 401 without a session, 403 without the role. Sits behind the session middleware. */
export function requireRole(role: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const auth = c.get('auth')
    if (auth === undefined) throw unauthenticated(c)
    if (!auth.user.roles.includes(role)) throw new GatewayError('ERR_FORBIDDEN', { detail: `needs the role "${role}"` })
    await next()
  })
}
