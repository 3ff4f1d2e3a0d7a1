import { IncomingMessage } from 'node:http'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { GatewayError } from '../errors.js'
import type { AppEnv, AppVariables } from '../http/app-env.js'
import { crossSiteRefusal } from '../middleware/cross-site.js'
import { sessionMiddleware } from '../middleware/session.js'
import { callerOf, type AccessDecision } from '../proxy/access.js'
import { parseProxyTarget, type ProxyTarget } from '../proxy/path-safety.js'
import type { SessionManager } from '../session/session-manager.js'

export interface ForwardAuthDeps {
  access: AccessDecision
  sessions: SessionManager
  publicOrigin: string
  /** Whether the connection itself comes from a proxy allowed to ask (GATEHOUSE_TRUSTED_PROXIES). */
  fromTrustedProxy: (c: Context<AppEnv>) => boolean
}

interface ForwardEnv {
  Variables: AppVariables & { original: { method: string; target: ProxyTarget } }
}

const METHOD = /^[A-Z]{1,16}$/
const MOUNT = '/auth/forward'

/** The request target as received; Envoy appends the original path to the check's own path. */
function ownRawTarget(c: Context): string {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming
  if (incoming instanceof IncomingMessage && incoming.url !== undefined) return incoming.url
  const url = new URL(c.req.url)
  return url.pathname + url.search
}

/**
 * `/auth/forward`, mounted at that path ahead of the `/auth/*` session middleware: the
 * sub-request of nginx `auth_request`, Traefik `ForwardAuth` or Envoy `ext_authz` (HTTP). The
 * original request comes from X-Original-Method/-URI (nginx), X-Forwarded-Method/-Uri (Traefik),
 * or the method and the path after `/auth/forward` (Envoy's `path_prefix`). It goes through the
 * checks of `/api/...` in their order (path safety, cross-site, session, route rules and roles)
 * and is answered 200 with the upstream's token in `Authorization`, or 400/401/403 without one.
 */
export function forwardAuthRoutes(deps: ForwardAuthDeps) {
  const { access, publicOrigin } = deps
  const app = new Hono<ForwardEnv>()

  const original = createMiddleware<ForwardEnv>(async (c, next) => {
    // The answer carries a bearer token: a browser script that could ask for it would hold one.
    if (!deps.fromTrustedProxy(c as unknown as Context<AppEnv>)) {
      throw new GatewayError('ERR_FORBIDDEN', { detail: 'only a proxy listed in GATEHOUSE_TRUSTED_PROXIES may ask' })
    }
    const method = (c.req.header('x-original-method') ?? c.req.header('x-forwarded-method') ?? c.req.method).toUpperCase()
    if (!METHOD.test(method)) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'the original method is not a method' })
    let uri = c.req.header('x-original-uri') ?? c.req.header('x-forwarded-uri')
    if (uri === undefined) {
      const own = ownRawTarget(c)
      if (own.startsWith(`${MOUNT}/`)) uri = own.slice(MOUNT.length)
    }
    if (uri === undefined) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'X-Original-URI or X-Forwarded-Uri names the original request' })
    const target = parseProxyTarget(uri)
    const refusal = crossSiteRefusal(method, c.req.header('origin'), c.req.header('sec-fetch-site'), publicOrigin)
    if (refusal !== undefined) throw new GatewayError('ERR_CROSS_SITE', { detail: refusal })
    c.set('original', { method, target })
    await next()
  })

  app.all('/*', original, sessionMiddleware(deps.sessions), async (c) => {
    const { method, target } = c.get('original')
    let granted
    try {
      granted = await access.decide(target, method, callerOf(c as unknown as Context<AppEnv>)) // its variables extend AppEnv
    } catch (error) {
      // Another proxy turns anything but 2xx, 401 and 403 into its own error: an unknown
      // upstream is the request's fault.
      if (error instanceof GatewayError && error.code === 'ERR_NOT_FOUND') throw new GatewayError('ERR_BAD_REQUEST', { detail: 'no such upstream' })
      throw error
    }
    c.header('cache-control', 'no-store')
    // An explicit empty length: nginx closes a kept-alive connection after a chunked sub-request answer.
    c.header('content-length', '0')
    if (granted.auth !== undefined) c.header('authorization', `Bearer ${await access.token(granted.auth, target.name, granted.policy)}`)
    return c.body(null, 200)
  })

  return app
}
