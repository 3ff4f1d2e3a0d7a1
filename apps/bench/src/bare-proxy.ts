// The bench's baseline: the minimal Hono proxy a user would write for `/api/bench/*` in thirty
// lines, as issue 12 asks: @hono/node-server's serve, a node:http keep-alive agent, http.request
// to the upstream, the answer streamed back as a web Response. It shares no code with the
// gateway (an earlier baseline ran on the gateway's own upstream client and socket piping, which
// cost about 1.5x a minimal proxy and so flattered the gateway). It is neither tuned to win nor
// written to lose: only what a correct proxy must do (drop hop-by-hop headers both ways, 502 when
// the upstream fails), none of what Gatehouse adds (sessions, tokens, logs, metrics, path checks).
import http, { type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

// Hop-by-hop headers (RFC 9110 7.6.1, and RFC 2616 13.5.1's list), plus Host: node sets the upstream's own.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

function requestHeaders(headers: Headers): Record<string, string> {
  const out = Object.fromEntries(headers)
  for (const name of [...HOP_BY_HOP, 'host', ...(headers.get('connection')?.toLowerCase().split(/\s*,\s*/) ?? [])]) delete out[name]
  return out
}

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers()
  const named = String(headers.connection ?? '').toLowerCase().split(/\s*,\s*/)
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.includes(name) || named.includes(name)) continue
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v)
  }
  return out
}

export async function startBareProxy(upstreamUrl: string): Promise<{ server: Server; url: string; close(): void }> {
  const upstream = new URL(upstreamUrl)
  // More sockets than the bench's 50 connections: no request waits for one.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const prefix = '/api/bench'
  const app = new Hono()
  app.all(`${prefix}/*`, (c) => {
    const { pathname, search } = new URL(c.req.url)
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? null : c.req.raw.body
    return new Promise<Response>((resolve) => {
      const req = http.request(
        { agent, hostname: upstream.hostname, port: upstream.port, method: c.req.method, path: pathname.slice(prefix.length) + search, headers: requestHeaders(c.req.raw.headers) },
        (res) => resolve(new Response(Readable.toWeb(res) as ReadableStream, { status: res.statusCode!, headers: responseHeaders(res.headers) })),
      )
      req.once('error', () => resolve(new Response('bad gateway', { status: 502 })))
      if (body === null) req.end()
      else Readable.fromWeb(body as NodeReadableStream).pipe(req)
    })
  })
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${port}`, close: () => agent.destroy() }
}
