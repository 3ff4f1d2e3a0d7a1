import { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { RouteConfig } from '../config/routes-file.js'
import type { Upstream } from '../config/upstreams.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { callerOf, createAccessDecision, type AccessDecision, type Caller, type IdpTokenSource, type TokenSource } from './access.js'
import { limitBody } from './body-limit.js'
import { clientResponseHeaders, headerValue, upstreamRequestHeaders, type HeaderSource } from './headers.js'
import { parseProxyTarget, targetPath, type ProxyTarget } from './path-safety.js'
import { handOverUpstreamBody } from './direct-response.js'
import { upstreamBody } from './response-body.js'
import { ClientGoneError, createUpstreamClient, type UpstreamClient, type UpstreamClientOptions } from './upstream-client.js'

export type { TokenSource, TokenSubject } from './access.js'

export interface ProxyDeps {
  upstreams: readonly Upstream[]
  routes: readonly RouteConfig[]
  /** GATEHOUSE_UPSTREAM_TIMEOUT; a route may set its own. */
  upstreamTimeoutMs: number
  publicOrigin: string
  tokens: TokenSource
  /** The user's IdP access token, for `"token": "idp"` routes (section 7). */
  idpTokens?: IdpTokenSource
  logger: Logger
  client?: UpstreamClientOptions
  /**
   * Told of each 403 for a route the session's roles do not allow (the anomaly policy counts
   * them), before the 403 is answered. Cross-site refusals never get here.
   */
  onForbidden?: (caller: Caller) => Promise<void>
  /** Told how long each upstream took to answer with headers (or to fail), for the metrics. */
  onUpstream?: (upstream: string, ms: number, outcome: 'answered' | 'failed') => void
}

/** One call to forward to an upstream, as the Hono route or the node fast path received it. */
export interface ForwardCall {
  target: ProxyTarget
  method: string
  caller: Caller
  /** The browser's request headers: node's object on a node server, else a fetch `Headers`. */
  headers: HeaderSource
  requestId: string
  /** The request body (streamed on once the call is allowed), or null for none. */
  body: Readable | null
  /** The node request, when there is one: a body that broke off means the client went away. */
  incoming?: IncomingMessage | undefined
  /** How the client's going away is noticed: its node response stream, else the Request's signal. */
  clientGone: { client: ServerResponse } | { signal: AbortSignal }
  /** Set by `forward`: how long the upstream took to answer with headers (or to fail), ms. */
  upstreamMs?: number
}

export interface Forwarded {
  /** The upstream's answer; its body is the caller's to stream on (already drained when `noBody`). */
  res: IncomingMessage
  /** HEAD, 204, 205, 304: nothing to stream. */
  noBody: boolean
}

export interface Proxy {
  /** Mount at `/api`, behind the session middleware. */
  app: Hono<AppEnv>
  /**
   * Mount on `*` ahead of the routes: a raw `/api/...` target that a URL parser would normalise
   * elsewhere (`/api/orders/..`, `/api/orders/../../auth`) never reaches the proxy route, so it is
   * refused here, with the same 400.
   */
  pathGuard: MiddlewareHandler<AppEnv>
  /** The session, route-rule and role decision this proxy applies; `/auth/forward` shares it. */
  access: AccessDecision
  /**
   * Decides the call and sends it: the refusals (GatewayErrors: 401, 403, 404, 413), the upstream's
   * failures (502, 504), or `ClientGoneError` when the client went away first; else the answer.
   */
  forward(call: ForwardCall): Promise<Forwarded>
  /** Closes the kept-alive upstream connections. */
  close(): void
}

// Statuses whose response has no body (RFC 9110 §6.4.1); the Response constructor refuses one.
const NO_BODY_STATUS = new Set([204, 205, 304])
const UPSTREAM_FAILURES = new Set<string>(['ERR_UPSTREAM_UNREACHABLE', 'ERR_UPSTREAM_TIMEOUT'])
// Nginx's "client closed request": only the access log ever sees it.
export const CLIENT_CLOSED = 499

/** The request target exactly as the client sent it, before any URL parser normalised it. */
function rawTarget(c: Context<AppEnv>, incoming: IncomingMessage | undefined): string {
  if (incoming?.url !== undefined) return incoming.url
  const url = new URL(c.req.url)
  return url.pathname + url.search
}

/** Whether a node request declares a body (a length other than 0, or any transfer coding). */
export function declaresBody(headers: IncomingMessage['headers']): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

function requestBody(c: Context<AppEnv>, incoming: IncomingMessage | undefined): Readable | null {
  if (incoming !== undefined) {
    if (!declaresBody(incoming.headers)) return null
    // The fast path: the socket's own stream, piped on with backpressure, never buffered.
    if (!incoming.readableDidRead) return incoming
  }
  const body = c.req.raw.body
  return body === null ? null : Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>)
}

/**
 * `ANY /api/<name>/<rest>` -> `<upstream url>/<rest>`: refused at the gateway when the path could
 * escape, the session is missing, the upstream is unknown, a role is missing or the declared
 * body is too large, before the upstream sees a byte; otherwise streamed both ways with the
 * internal JWT in place of the browser's credentials. On a node server the gateway's fast path
 * (node-fast-path.ts) calls `forward` without going through this Hono app at all.
 */
export function createProxy(deps: ProxyDeps): Proxy {
  const clients = new Map<string, UpstreamClient>(deps.upstreams.map((u) => [u.name, createUpstreamClient(u.url, deps.client)]))
  const access = createAccessDecision(deps)
  const origin = new URL(deps.publicOrigin)
  const proto = origin.protocol.slice(0, -1)
  const { logger } = deps

  async function forward(call: ForwardCall): Promise<Forwarded> {
    const { target, method, caller } = call
    const { policy, auth } = await access.decide(target, method, caller)
    const client = clients.get(target.name)!
    const declared = Number(headerValue(call.headers, 'content-length') ?? '0')
    if (policy.maxBodyBytes !== undefined && declared > policy.maxBodyBytes) {
      throw new GatewayError('ERR_PAYLOAD_TOO_LARGE', { detail: `this route accepts at most ${policy.maxBodyBytes} bytes` })
    }

    const token = auth === undefined ? undefined : await access.token(auth, target.name, policy)
    const headers = upstreamRequestHeaders(call.headers, { token, clientIp: caller.clientIp, requestId: call.requestId, proto, host: origin.host })
    let body = call.body
    if (body !== null && headers['content-length'] === undefined) {
      headers['transfer-encoding'] = 'chunked'
      if (policy.maxBodyBytes !== undefined) body = limitBody(body, policy.maxBodyBytes)
    }

    let res: IncomingMessage
    const sent = performance.now()
    try {
      res = await client.send({ method, path: (target.rest || '/') + target.query, headers, body, timeoutMs: policy.timeoutMs, ...call.clientGone })
      call.upstreamMs = performance.now() - sent
      deps.onUpstream?.(target.name, call.upstreamMs, 'answered')
    } catch (error) {
      call.upstreamMs = performance.now() - sent
      deps.onUpstream?.(target.name, call.upstreamMs, 'failed')
      // The client went away (or broke off its upload): nobody is left to answer.
      const signal = 'signal' in call.clientGone ? call.clientGone.signal : undefined
      if (error instanceof ClientGoneError || (signal?.aborted ?? false) || (call.incoming?.errored ?? null) !== null) {
        throw error instanceof ClientGoneError ? error : new ClientGoneError('the client went away', { cause: error })
      }
      if (error instanceof GatewayError && UPSTREAM_FAILURES.has(error.code)) {
        const cause = (error.cause as { code?: string } | undefined)?.code
        logger.warn({ requestId: call.requestId, upstream: target.name, code: error.code, cause }, 'upstream request failed')
      }
      throw error
    }

    if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 599) {
      res.destroy()
      throw new GatewayError('ERR_UPSTREAM_UNREACHABLE', { detail: 'the upstream answered with an invalid status' })
    }
    const noBody = method === 'HEAD' || NO_BODY_STATUS.has(res.statusCode)
    if (noBody) res.resume()
    return { res, noBody }
  }

  const app = new Hono<AppEnv>()
  app.all('/:name/*', async (c) => {
    const env = c.env as { incoming?: unknown; outgoing?: unknown } | undefined
    const incoming = env?.incoming instanceof IncomingMessage ? env.incoming : undefined
    // On a node server the client's response stream tells when it goes away; only elsewhere
    // (app.request) is the Request's AbortSignal used: creating it costs more than the rest.
    const outgoing = incoming !== undefined && env?.outgoing instanceof ServerResponse ? env.outgoing : undefined
    const call: ForwardCall = {
      // Parsed once, by the guard in front of every route.
      target: c.get('proxyTarget') ?? parseProxyTarget(rawTarget(c, incoming)),
      method: c.req.method,
      caller: callerOf(c),
      headers: incoming?.headers ?? c.req.raw.headers,
      requestId: c.get('requestId'),
      body: requestBody(c, incoming),
      incoming,
      clientGone: outgoing !== undefined ? { client: outgoing } : { signal: c.req.raw.signal },
    }
    let forwarded: Forwarded
    try {
      forwarded = await forward(call)
    } catch (error) {
      if (error instanceof ClientGoneError) return new Response(null, { status: CLIENT_CLOSED })
      throw error
    } finally {
      if (call.upstreamMs !== undefined) c.set('upstreamMs', call.upstreamMs)
    }
    const { res, noBody } = forwarded
    // On a node server the body is handed to the server wrapper beside the Response, which then
    // pipes it socket to socket; no web stream is made for it (that costs more than the rest).
    const handedOver = !noBody && outgoing !== undefined && handOverUpstreamBody(c.env, res)
    // The upstream's reason phrase is not passed on: it means nothing in HTTP/1.1, and control
    // characters in it would make the answer unwritable after the log had recorded it.
    return new Response(noBody || handedOver ? null : upstreamBody(res), {
      status: res.statusCode!,
      headers: clientResponseHeaders(res.headers),
    })
  })

  const pathGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const env = c.env as { incoming?: unknown } | undefined
    const raw = rawTarget(c, env?.incoming instanceof IncomingMessage ? env.incoming : undefined)
    if (targetPath(raw).startsWith('/api/')) c.set('proxyTarget', parseProxyTarget(raw))
    await next()
  }

  return {
    app,
    pathGuard,
    access,
    forward,
    close: () => {
      for (const client of clients.values()) client.close()
    },
  }
}
