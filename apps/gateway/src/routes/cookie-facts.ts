import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { readCookie } from '../http/read-cookie.js'
import type { SessionCookie } from '../session/cookie.js'

/**
 * `GET /auth/cookie`: the session cookie's attributes exactly as the gateway sets them, and the
 * size of the sealed value this browser sent (never the value). A page cannot read Set-Cookie
 * itself; the demo's "under the hood" view shows these beside what its scripts can see (nothing).
 */
export function cookieFactsRoutes(cookie: SessionCookie) {
  // Built once: the attributes depend on configuration only.
  const [, ...parts] = cookie.serialize('', 0).split('; ')
  const attributes = parts.filter((p) => !p.startsWith('Max-Age='))
  const app = new Hono<AppEnv>()
  app.get('/cookie', (c) => {
    const value = readCookie(c.req.header('cookie'), cookie.name)
    c.header('cache-control', 'no-store')
    return c.json({
      name: cookie.name,
      attributes,
      maxAge: "the session's remaining absolute lifetime",
      sent: value !== undefined && value !== '',
      valueBytes: value?.length ?? 0,
    })
  })
  return app
}
