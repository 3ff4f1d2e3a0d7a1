import { ServerResponse, type OutgoingHttpHeaders } from 'node:http'
import { pipeline } from 'node:stream'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { takeUpstreamBody } from './response-body.js'

type Fetch = (request: Request, env: unknown) => Response | Promise<Response>

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
    if (!(outgoing instanceof ServerResponse) || outgoing.headersSent) return response
    const body = takeUpstreamBody(response.body)
    if (body === undefined) return response
    outgoing.writeHead(response.status, response.statusText, nodeHeaders(response.headers))
    // An error on either side destroys both: the client sees a cut-off body, the upstream a reset.
    pipeline(body, outgoing, () => {})
    return RESPONSE_ALREADY_SENT
  }
}
