import { IncomingMessage, ServerResponse, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { handOverUpstreamBody, withDirectResponses } from '../../gateway/src/proxy/direct-response.js'
import { createUpstreamClient } from '../../gateway/src/proxy/upstream-client.js'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'cookie'])

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  return out
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue
    if (Array.isArray(value)) for (const v of value) out.append(name, v)
    else out.set(name, value)
  }
  return out
}

/**
 * The baseline: `/api/bench/*` proxied by a bare Hono app on the gateway's own upstream client and
 * its direct-response piping and client-close abort, as proxy-route.ts uses them on a node server, minus everything Gatehouse adds
 * (sessions, JWTs, request ids, logs, metrics, header policy, path checks).
 */
export async function startBareProxy(upstreamUrl: string): Promise<{ server: Server; url: string; close(): void }> {
  const client = createUpstreamClient(upstreamUrl)
  const prefix = '/api/bench'
  const app = new Hono()
  // A client gone mid-request (autocannon stopping a round) is not worth a stack trace.
  app.onError((error) => new Response(null, { status: (error as { code?: string }).code === 'ERR_CLIENT_GONE' ? 499 : 502 }))
  app.all(`${prefix}/*`, async (c) => {
    const { incoming, outgoing } = c.env as { incoming: IncomingMessage; outgoing: ServerResponse }
    const length = incoming.headers['content-length']
    const hasBody = incoming.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
    const res = await client.send({
      method: c.req.method,
      path: incoming.url!.slice(prefix.length) || '/',
      headers: forwardable(incoming.headers),
      body: hasBody ? incoming : null,
      timeoutMs: 30_000,
      client: outgoing,
    })
    // The gateway's node fast path: the body is piped socket to socket by withDirectResponses.
    handOverUpstreamBody(c.env, res)
    return new Response(null, { status: res.statusCode!, headers: responseHeaders(res.headers) })
  })
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: withDirectResponses(app.fetch), hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}`, close: () => client.close() }
}
