import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'

/** Paths the gateway answers itself; a file in the web root never shadows them. */
export const RESERVED_PREFIXES = ['/auth', '/api', '/admin', '/.well-known', '/healthz', '/readyz', '/metrics'] as const

/**
 * The page may load its own script, style and images and call its own origin, nothing else:
 * no inline script, no eval, no plugins, no framing (clickjacking), no <base> tricks.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

function reserved(path: string): boolean {
  const lower = path.toLowerCase()
  return RESERVED_PREFIXES.some((p) => lower === p || lower.startsWith(`${p}/`))
}

// Dot segments other than `.well-known` (reserved above) are never files of a built app.
const HIDDEN_SEGMENT = /(?:^|\/)\./

/**
 * Serves a built single-page app (GATEHOUSE_WEB_ROOT) from the gateway's own origin, so the
 * page's fetches are same-origin and carry the HttpOnly cookie without any CORS. `/` is
 * `index.html`; an unknown path falls through to the gateway's 404.
 */
export function webRoutes(root: string) {
  const files = serveStatic<AppEnv>({ root })

  const app = new Hono<AppEnv>()
  app.get('*', async (c, next) => {
    if (reserved(c.req.path) || HIDDEN_SEGMENT.test(c.req.path)) return next()
    const res = await files(c, next)
    // serveStatic answers a Response only for a file it found; otherwise it called next().
    if (!(res instanceof Response)) return res
    res.headers.set('x-content-type-options', 'nosniff')
    res.headers.set('referrer-policy', 'no-referrer')
    if (res.headers.get('content-type')?.startsWith('text/html')) {
      res.headers.set('content-security-policy', CONTENT_SECURITY_POLICY)
      res.headers.set('x-frame-options', 'DENY')
      // The page names the hashed assets of the current build: always revalidate it.
      res.headers.set('cache-control', 'no-cache')
    } else if (c.req.path.startsWith('/assets/')) {
      // Vite puts a content hash in every file name under assets/.
      res.headers.set('cache-control', 'public, max-age=31536000, immutable')
    }
    return res
  })
  return app
}
