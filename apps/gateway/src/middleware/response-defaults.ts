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
  const headers = c.res.headers
  headers.set('x-content-type-options', 'nosniff')
  if (c.get('proxyTarget') !== undefined && !headers.has('cache-control')) headers.set('cache-control', 'private, no-store')
  if (headers.get('content-type')?.startsWith('text/html') && !headers.has('cross-origin-opener-policy')) {
    headers.set('cross-origin-opener-policy', 'same-origin')
  }
})
