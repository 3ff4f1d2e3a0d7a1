import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'

// Every other method may change state: PROPFIND, PURGE, LOCK, or one nobody has named yet.
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Refuses state-changing requests (any method but GET, HEAD and OPTIONS) that a browser marks as coming from another site: an
 * `Origin` other than the public origin (including "null"), or `Sec-Fetch-Site: cross-site`
 * or `same-site` (a sibling subdomain is another party). SameSite cookies are a second layer,
 * not the defence. A request with neither header is not from a browser, so it cannot carry a
 * victim's cookie by accident and is let through (operators' curl, service probes).
 */
export function crossSiteProtection(publicOrigin: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!SAFE.has(c.req.method)) {
      const origin = c.req.header('origin')
      const fetchSite = c.req.header('sec-fetch-site')
      if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
        throw new GatewayError('ERR_CROSS_SITE', { detail: 'Sec-Fetch-Site says another site sent this request' })
      }
      if (origin !== undefined && origin !== publicOrigin) {
        throw new GatewayError('ERR_CROSS_SITE', { detail: 'Origin does not match the public origin' })
      }
      if (origin === undefined && fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
        throw new GatewayError('ERR_CROSS_SITE', { detail: 'a browser request without Origin' })
      }
    }
    await next()
  })
}
