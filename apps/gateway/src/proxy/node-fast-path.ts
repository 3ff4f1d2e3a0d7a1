import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { BlockList } from 'node:net'
import type { Logger } from 'pino'
import { GatewayError } from '../errors.js'
import { clientAddress } from '../http/client-ip.js'
import { readCookie } from '../http/read-cookie.js'
import { logRequest } from '../middleware/access-log.js'
import { crossSiteRefusal } from '../middleware/cross-site.js'
import { requestIdChooser } from '../middleware/request-id.js'
import { applyResponseDefaults, nodeHeaderAccess } from '../middleware/response-defaults.js'
import type { AuthResult, SessionManager } from '../session/session-manager.js'
import type { Caller } from './access.js'
import { clientResponseHeaderObject } from './headers.js'
import { parseProxyTarget, type ProxyTarget } from './path-safety.js'
import { CLIENT_CLOSED, declaresBody, type ForwardCall, type Proxy } from './proxy-route.js'
import { ClientGoneError } from './upstream-client.js'

export interface NodeFastPathDeps {
  proxy: Pick<Proxy, 'forward'>
  sessions: SessionManager
  publicOrigin: string
  trustedProxies: BlockList
  logger: Logger
  /** The request metrics (middleware/request-metrics.ts `requestRecorder`). */
  record(path: string, status: number, started: number, upstreamMs: number): void
  /** The app's error answers (http/on-error.ts `createErrorResponder`). */
  respondToError(error: Error, requestId: string): Response
}

/**
 * Node's request listener calls `handle` first; false means "not mine", and the Hono app takes
 * the request as usual.
 */
export type NodeFastPath = (req: IncomingMessage, res: ServerResponse) => boolean

// @hono/node-server's own test of a Host header it takes without parsing: anything else goes to
// the app, which accepts or refuses it exactly as it always has.
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/

/**
 * `/api/<name>/*` on a node server, without the Hono app: the same steps as the app's middleware
 * chain and proxy route (request id, client address, cross-site check, session, access decision,
 * token, forward, response defaults, rotated or cleared cookie, access log, metrics), on node's
 * own request and response objects, so no Request, Headers or Response is made for a call that
 * succeeds. The steps are the app's own functions; only their order lives here, and it is the
 * middleware's order in app.ts. Anything unusual (an absolute-form target, a Host the adapter
 * would parse, a target the path guard refuses, `/api/` without a name) is left to the app, which
 * answers it as before; this handles a request completely or not at all.
 */
export function createNodeFastPath(deps: NodeFastPathDeps): NodeFastPath {
  const { proxy, sessions, publicOrigin, trustedProxies, logger, record, respondToError } = deps
  const chooseRequestId = requestIdChooser(trustedProxies)

  /** The headers every answer of this path ends with, as the app's middleware add them. */
  function finish(headers: OutgoingHttpHeaders, requestId: string, auth: AuthResult | undefined): void {
    // Innermost first, as in the app: the session's cookie, the response defaults, the request id.
    if (auth?.ok === true && auth.setCookie !== undefined) headers['set-cookie'] = auth.setCookie
    else if (auth?.ok === false && auth.clearCookie && headers['set-cookie'] === undefined) headers['set-cookie'] = sessions.cookie.clear()
    applyResponseDefaults(nodeHeaderAccess(headers), true)
    headers['x-request-id'] = requestId
  }

  async function serve(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, path: string): Promise<void> {
    const started = performance.now()
    const method = req.method!
    const headers = req.headers
    const peer = req.socket.remoteAddress
    // Node joins repeated headers into one string (only Set-Cookie is ever an array).
    const requestId = chooseRequestId(headers['x-request-id'] as string | undefined, peer)
    const clientIp = clientAddress(peer, headers['x-forwarded-for'] as string | undefined, trustedProxies)
    let auth: AuthResult | undefined
    let call: ForwardCall | undefined
    let status: number
    try {
      const refusal = crossSiteRefusal(method, headers.origin, headers['sec-fetch-site'] as string | undefined, publicOrigin)
      if (refusal !== undefined) throw new GatewayError('ERR_CROSS_SITE', { detail: refusal })
      const userAgent = headers['user-agent'] ?? null
      auth = await sessions.authenticate(readCookie(headers.cookie, sessions.cookie.name), { clientIp, userAgent })
      const caller: Caller = auth.ok
        ? { auth: { session: auth.session, user: auth.user }, endedReason: undefined, clientIp, userAgent }
        : { auth: undefined, endedReason: auth.clearCookie ? auth.reason : undefined, clientIp, userAgent }
      call = { target, method, caller, headers, requestId, body: declaresBody(headers) ? req : null, incoming: req, clientGone: { client: res } }
      const { res: upstream, noBody } = await proxy.forward(call)
      const out = clientResponseHeaderObject(upstream.headers)
      finish(out, requestId, auth)
      status = upstream.statusCode!
      res.writeHead(status, out)
      if (noBody) res.end()
      else {
        // An error on either side destroys both: the client sees a cut-off body, the upstream a reset.
        upstream.once('error', () => res.destroy())
        res.once('close', () => {
          if (!upstream.readableEnded) upstream.destroy()
        })
        upstream.pipe(res)
      }
    } catch (error) {
      if (error instanceof ClientGoneError || res.destroyed) {
        status = CLIENT_CLOSED
        res.destroy()
      } else {
        const answer = respondToError(error instanceof Error ? error : new Error(String(error)), requestId)
        status = answer.status
        const out: OutgoingHttpHeaders = {}
        answer.headers.forEach((value, name) => {
          out[name] = value
        })
        finish(out, requestId, auth)
        const body = Buffer.from(await answer.arrayBuffer())
        out['content-length'] = body.length
        if (!res.headersSent) res.writeHead(status, out).end(body)
        else res.destroy()
      }
    }
    logRequest(logger, requestId, method, path, status, started, auth?.ok === true ? auth.session.id : undefined)
    record(path, status, started, call?.upstreamMs ?? 0)
  }

  return (req, res) => {
    const url = req.url
    if (url === undefined || !url.startsWith('/api/') || url.includes('\\')) return false
    const host = req.headers.host
    if (host === undefined || !PLAIN_HOST.test(host)) return false
    let target: ProxyTarget
    try {
      target = parseProxyTarget(url)
    } catch {
      return false // the app's path guard answers it with the same 400
    }
    if (target.name === '') return false
    const q = url.indexOf('?')
    serve(req, res, target, q === -1 ? url : url.slice(0, q)).catch((error: unknown) => {
      // Only a bug gets here (every failure above is answered): never leave the client hanging.
      logger.error({ err: error }, 'unhandled error in the /api fast path')
      res.destroy()
    })
    return true
  }
}
