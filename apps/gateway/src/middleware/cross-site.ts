import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'

// Every other method may change state: PROPFIND, PURGE, LOCK, or one nobody has named yet.
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Why a request is refused as cross-site, or undefined. Every method but GET, HEAD and OPTIONS
 * is checked: an `Origin` other than the public origin (including "null"), or `Sec-Fetch-Site:
 * cross-site` or `same-site` (a sibling subdomain is another party). SameSite cookies are a
 * second layer, not the defence. A request with neither header is not from a browser, so it
 * cannot carry a victim's cookie by accident and is let through (operators' curl, service probes).
 */
export function crossSiteRefusal(method: string, origin: string | undefined, fetchSite: string | undefined, publicOrigin: string): string | undefined {
  if (SAFE.has(method)) return undefined
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return 'Sec-Fetch-Site says another site sent this request'
  if (origin !== undefined && origin !== publicOrigin) return 'Origin does not match the public origin'
  if (origin === undefined && fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return 'a browser request without Origin'
  return undefined
}

/** Refuses, with 403 `ERR_CROSS_SITE`, state-changing requests another site sent (see `crossSiteRefusal`). */
export function crossSiteProtection(publicOrigin: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const refusal = crossSiteRefusal(c.req.method, c.req.header('origin'), c.req.header('sec-fetch-site'), publicOrigin)
    if (refusal !== undefined) throw new GatewayError('ERR_CROSS_SITE', { detail: refusal })
    await next()
  })
}
