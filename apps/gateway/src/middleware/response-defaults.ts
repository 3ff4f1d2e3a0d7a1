import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'

/**
 * Headers every answer gets unless it says otherwise, set once on the way out:
 * - `X-Content-Type-Options: nosniff` on everything (a JSON answer is never run as script);
 * - `Cache-Control: private, no-store` on a proxied answer that names no caching policy of its
 *   own: it was made for one user's session, and no shared cache or back button should keep it;
 * - `Cross-Origin-Opener-Policy: same-origin` on pages, so no other site's window can keep a
 *   handle on ours.
 */
export const responseDefaults = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  applyResponseDefaults(c.res.headers, c.get('proxyTarget') !== undefined)
})

/** What `applyResponseDefaults` needs of a header set: a fetch `Headers`, or `nodeHeaderAccess`. */
export interface HeaderAccess {
  get(name: string): string | null
  has(name: string): boolean
  set(name: string, value: string): void
}

/** The defaults above, on any header set; `proxied` for an answer relayed from an upstream. */
export function applyResponseDefaults(headers: HeaderAccess, proxied: boolean): void {
  headers.set('x-content-type-options', 'nosniff')
  if (proxied && !headers.has('cache-control')) headers.set('cache-control', 'private, no-store')
  if (headers.get('content-type')?.startsWith('text/html') && !headers.has('cross-origin-opener-policy')) {
    headers.set('cross-origin-opener-policy', 'same-origin')
  }
}

/** A node header object (lower-case names) seen as `HeaderAccess`. */
export function nodeHeaderAccess(headers: Record<string, string | string[] | number | undefined>): HeaderAccess {
  return {
    get: (name) => {
      const value = headers[name]
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value)
    },
    has: (name) => headers[name] !== undefined,
    set: (name, value) => {
      headers[name] = value
    },
  }
}
