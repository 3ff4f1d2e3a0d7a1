import { ServerResponse, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { takeUpstreamBody } from './response-body.js'

type Fetch = (request: Request, env: unknown) => Response | Promise<Response>

// The node server's bindings object of one request (c.env) -> the upstream body to pipe for it.
const handedOver = new WeakMap<object, IncomingMessage>()

/**
 * Called by the proxy on a node server: the answer it returns has a null body, and `res` is
 * piped to the client by `withDirectResponses` once every middleware has had its say. Keyed by
 * the request's bindings, so a middleware that rebuilds the Response cannot lose the body.
 */
export function handOverUpstreamBody(env: unknown, res: IncomingMessage): boolean {
  if (typeof env !== 'object' || env === null) return false
  handedOver.set(env, res)
  return true
}

function nodeHeaders(headers: Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of headers) if (name !== 'set-cookie') out[name] = value
  const cookies = headers.getSetCookie()
  if (cookies.length > 0) out['set-cookie'] = cookies
  return out
}

/**
 * Wraps the app's fetch for @hono/node-server: when the answer is a proxied upstream body nobody
 * has read, its status and headers (as the middleware left them: request id, a rotated session
 * cookie) are written to the socket and the upstream stream is piped straight in, with node's
 * own backpressure, instead of going through a web ReadableStream chunk by chunk. Anything else,
 * and any other runtime (app.request in tests), takes the ordinary path.
 */
export function withDirectResponses(fetch: Fetch): Fetch {
  return async (request, env) => {
    const response = await fetch(request, env)
    const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing
    const upstream = typeof env === 'object' && env !== null ? handedOver.get(env) : undefined
    if (upstream !== undefined && (response.body !== null || !(outgoing instanceof ServerResponse) || outgoing.headersSent)) {
      // The proxy's answer was replaced (an error after it): the upstream body goes nowhere.
      upstream.destroy()
      return response
    }
    if (!(outgoing instanceof ServerResponse) || outgoing.headersSent) return response
    const body = upstream ?? takeUpstreamBody(response.body)
    if (body === undefined) return response
    outgoing.writeHead(response.status, nodeHeaders(response.headers))
    // An error on either side destroys both: the client sees a cut-off body, the upstream a reset.
    // (By hand rather than stream.pipeline, which makes an AbortController per call.)
    body.once('error', () => outgoing.destroy())
    outgoing.once('close', () => {
      if (!body.readableEnded) body.destroy()
    })
    body.pipe(outgoing)
    return RESPONSE_ALREADY_SENT
  }
}
