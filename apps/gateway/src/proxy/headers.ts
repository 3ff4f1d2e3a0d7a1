import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { isValidTraceparent, newTraceparent } from './traceparent.js'

/** RFC 9110 §7.6.1, plus the non-standard Proxy-Connection and HTTP/2's upgrade header. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/**
 * Never forwarded from the browser: its credentials (the session cookie, any Authorization it
 * sends), the host (the upstream's own is set), `Expect` (the gateway answered it already), the
 * headers the gateway sets itself, and every header a client could use to claim an address
 * (frameworks and CDNs read these as the client's IP): the upstream learns the client from
 * X-Forwarded-For, which the gateway writes.
 */
const NOT_FROM_BROWSER: ReadonlySet<string> = new Set([
  'cookie',
  'authorization',
  'host',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-prefix',
  'x-original-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-host',
  'x-host',
  'x-request-id',
  'traceparent',
  'tracestate',
])

/**
 * Never passed back to the browser: upstream cookies would land on the gateway's origin; wiping
 * the origin's storage (Clear-Site-Data) and opening it to other origins (CORS) are the
 * gateway's decisions, not one service's; Server and X-Powered-By only tell an attacker what
 * runs behind.
 */
const NOT_FROM_UPSTREAM: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2', 'clear-site-data', 'server', 'x-powered-by'])
const NOT_FROM_UPSTREAM_PREFIX = 'access-control-'

/**
 * `X_Forwarded_For` reaches CGI-style readers (PHP, WSGI, Rack) as the same variable as
 * `X-Forwarded-For`, so an underscore spelling is judged as its dashed twin.
 */
function refusedFromBrowser(name: string): boolean {
  if (NOT_FROM_BROWSER.has(name)) return true
  return name.includes('_') && NOT_FROM_BROWSER.has(name.replaceAll('_', '-'))
}

type HeaderValue = string | string[] | undefined
/** Node's `IncomingMessage.headers` (fast path) or a fetch `Headers` (anything else). */
export type HeaderSource = IncomingHttpHeaders | Headers

/** One header of either kind of source, repeated values joined. */
export function headerValue(source: HeaderSource, name: string): string | undefined {
  const value: HeaderValue = source instanceof Headers ? (source.get(name) ?? undefined) : source[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Header names listed in `Connection`: hop-by-hop for this one message. */
function connectionNamed(source: HeaderSource): ReadonlySet<string> | undefined {
  const value = headerValue(source, 'connection')
  // The usual value names only Keep-Alive, which is hop-by-hop anyway: no set to build.
  if (value === undefined || value === 'keep-alive') return undefined
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))
}

/**
 * The rightmost entry is the client as the gateway determined it. When a trusted proxy in front
 * already named that client, the chain is cut there instead of naming it twice; whatever stands
 * left of it was written by someone the gateway cannot vouch for.
 */
function forwardedFor(prior: string | undefined, clientIp: string): string {
  if (prior === undefined) return clientIp
  const hops = prior.split(',').map((h) => h.trim()).filter(Boolean)
  const at = hops.lastIndexOf(clientIp)
  const kept = at === -1 ? hops : hops.slice(0, at)
  return [...kept, clientIp].join(', ')
}

export interface ForwardContext {
  /** The internal JWT; undefined for an anonymous call, which then carries no Authorization. */
  token: string | undefined
  clientIp: string
  requestId: string
  /** From the public origin: what the browser used. */
  proto: string
  host: string
}

/** What the upstream receives: the browser's end-to-end headers, without its credentials, plus ours. */
export function upstreamRequestHeaders(source: HeaderSource, context: ForwardContext): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const named = connectionNamed(source)
  const keep = (name: string, value: HeaderValue) => {
    if (value === undefined || HOP_BY_HOP.has(name) || refusedFromBrowser(name) || named?.has(name)) return
    out[name] = value
  }
  if (source instanceof Headers) for (const [name, value] of source) keep(name, value)
  // Node's own object (the fast path): no entry arrays made.
  else for (const name in source) keep(name, source[name])
  out['x-forwarded-for'] = forwardedFor(named?.has('x-forwarded-for') ? undefined : headerValue(source, 'x-forwarded-for'), context.clientIp)
  out['x-forwarded-proto'] = context.proto
  out['x-forwarded-host'] = context.host
  out['x-request-id'] = context.requestId
  const traceparent = headerValue(source, 'traceparent')
  if (traceparent !== undefined && isValidTraceparent(traceparent)) {
    out.traceparent = traceparent
    const tracestate = headerValue(source, 'tracestate')
    if (tracestate !== undefined) out.tracestate = tracestate
  } else {
    out.traceparent = newTraceparent()
  }
  if (context.token !== undefined) out.authorization = `Bearer ${context.token}`
  return out
}

/** What the browser receives from the upstream's answer: end-to-end headers without cookies, as a node header object. */
export function clientResponseHeaderObject(source: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  const named = connectionNamed(source)
  for (const name in source) {
    const value = source[name]
    if (value === undefined || HOP_BY_HOP.has(name) || NOT_FROM_UPSTREAM.has(name) || name.startsWith(NOT_FROM_UPSTREAM_PREFIX) || named?.has(name)) {
      continue
    }
    out[name] = value
  }
  return out
}

/** The same as a fetch `Headers` (the Hono route, off a node server). */
export function clientResponseHeaders(source: IncomingHttpHeaders): Headers {
  const out = new Headers()
  const kept = clientResponseHeaderObject(source)
  for (const name in kept) {
    const value = kept[name]!
    if (Array.isArray(value)) for (const v of value) out.append(name, v)
    else out.set(name, String(value))
  }
  return out
}
