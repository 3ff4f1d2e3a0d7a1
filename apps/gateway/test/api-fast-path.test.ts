import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRequestListener } from '../src/http/request-listener.js'
import { PASSWORD } from './helpers.js'
import { closedPort, rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type RawResponse, type TestUpstream } from './proxy-helpers.js'

// The gateway answers `/api/*` on its node server through a fast path in front of the Hono app
// (src/proxy/node-fast-path.ts). These tests put a server of their own in front of one gateway:
// each request is offered to the fast path and, when it declines, to the app's listener, as
// server.ts does; a second server sends everything to the app alone. The same request must get
// the same answer from both, and the fast path must take what it is for.

const ROUTES = [
  { upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] },
  { upstream: 'orders', pathPrefix: '/public', anonymous: true },
  { upstream: 'orders', pathPrefix: '/upload', methods: ['POST'], maxBodyBytes: 10 },
]

let upstream: TestUpstream
let gw: ProxyGateway
let fast: { url: string; taken: boolean[]; close(): Promise<void> }
let appOnly: { url: string; close(): Promise<void> }
let downPort: number

async function serve(listener: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    let bytes = 0
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => {
      if (req.url === '/page') {
        res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'tracker=1', server: 'upstream/1.0', 'x-upstream': 'yes' })
        return void res.end('<p>hi</p>')
      }
      if (req.url === '/cached') {
        res.writeHead(200, { 'cache-control': 'public, max-age=60', 'content-type': 'application/json' })
        return void res.end('{}')
      }
      if (req.url === '/empty') return void res.writeHead(204).end()
      res.writeHead(201, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
      res.end(JSON.stringify({ bytes, method: req.method, url: req.url, authorized: req.headers.authorization !== undefined }))
    })
  })
  downPort = await closedPort()
  gw = await startProxyGateway({
    upstreams: { orders: upstream.url, down: `http://127.0.0.1:${downPort}` },
    routes: ROUTES,
    anomalies: { forbiddenBurst: { action: 'ignore' } },
  })
  const app = createRequestListener(gw.gateway.app.fetch, '127.0.0.1')
  const taken: boolean[] = []
  fast = {
    taken,
    ...(await serve((req, res) => {
      const took = gw.gateway.fastPath(req, res)
      taken.push(took)
      if (!took) void app(req, res)
    })),
  }
  appOnly = await serve((req, res) => void app(req, res))
})
afterAll(async () => {
  await Promise.all([fast.close(), appOnly.close()])
  await gw.close(0)
  await upstream.close()
})

/** The answer as a user sees it: the varying values (ids, dates) replaced by their shape. */
function comparable(res: RawResponse): { status: number; headers: IncomingHttpHeaders; body: unknown } {
  const { date, 'x-request-id': id, 'keep-alive': _k, connection: _c, ...headers } = res.headers
  const text = res.body.toString('utf8')
  let body: unknown = text
  if ((res.headers['content-type'] ?? '').includes('json') && text !== '') body = JSON.parse(text)
  return { status: res.status, headers: { ...headers, 'x-request-id': typeof id === 'string' && id.length > 0 ? 'present' : 'missing', date: date === undefined ? 'missing' : 'present' }, body }
}

async function both(path: string, init: Parameters<typeof rawRequest>[2] = {}) {
  const before = fast.taken.length
  const viaFast = await rawRequest(fast.url, path, init)
  const viaApp = await rawRequest(appOnly.url, path, init)
  return { viaFast, viaApp, took: fast.taken.slice(before) }
}

describe('the /api fast path answers exactly as the app does', () => {
  const cases: [string, string, () => Parameters<typeof rawRequest>[2]][] = [
    ['a proxied GET with a session', '/api/orders/items/42?x=1', () => ({ headers: { cookie: alice } })],
    ['an upstream page: its cookie, Server and CORS headers dropped, ours added', '/api/orders/page', () => ({ headers: { cookie: alice } })],
    ["an upstream's own cache policy kept", '/api/orders/cached', () => ({ headers: { cookie: alice } })],
    ['a 204 without a body', '/api/orders/empty', () => ({ headers: { cookie: alice } })],
    ['a HEAD', '/api/orders/items/1', () => ({ method: 'HEAD', headers: { cookie: alice } })],
    ['a POST with a body', '/api/orders/upload', () => ({ method: 'POST', headers: { cookie: alice, 'content-type': 'text/plain' }, body: 'hello' })],
    ['no cookie: 401', '/api/orders/items/1', () => ({})],
    ['a forged cookie: 401 that clears it', '/api/orders/items/1', () => ({ headers: { cookie: `gatehouse=${'x'.repeat(200)}` } })],
    ['an unknown upstream without a session: 401', '/api/nope/x', () => ({})],
    ['an unknown upstream with a session: 404', '/api/nope/x', () => ({ headers: { cookie: alice } })],
    ['a missing role: 403', '/api/orders/admin/x', () => ({ headers: { cookie: alice } })],
    ['an anonymous route without a session', '/api/orders/public/x', () => ({})],
    ['a body over the route limit: 413', '/api/orders/upload', () => ({ method: 'POST', headers: { cookie: alice, 'content-length': '11' }, body: 'hello world' })],
    ['a cross-site POST: 403', '/api/orders/upload', () => ({ method: 'POST', headers: { cookie: alice, origin: 'https://evil.example', 'content-length': '2' }, body: 'hi' })],
    ['an upstream that is down: 502', '/api/down/x', () => ({ headers: { cookie: alice } })],
  ]
  let alice: string
  beforeAll(async () => {
    alice = await gw.login('alice')
  })

  for (const [name, path, init] of cases) {
    it(name, async () => {
      const { viaFast, viaApp, took } = await both(path, init())
      expect(took).toEqual([true])
      expect(comparable(viaFast)).toEqual(comparable(viaApp))
    })
  }

  it('a session that ended: the same 401 with its reason, the cookie cleared', async () => {
    const bob = await gw.login('bob')
    const again = await fetch(`${gw.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: PASSWORD }),
    })
    const ended = again.headers.getSetCookie()[0]!.split(';')[0]!
    expect((await fetch(`${gw.url}/auth/logout`, { method: 'POST', headers: { cookie: ended } })).status).toBe(204)
    const { viaFast, viaApp } = await both('/api/orders/items/1', { headers: { cookie: ended } })
    expect(viaFast.status).toBe(401)
    expect(comparable(viaFast)).toEqual(comparable(viaApp))
    expect(String(viaFast.headers['set-cookie'])).toMatch(/^gatehouse=;/)
    // bob's other session is untouched
    expect((await rawRequest(fast.url, '/api/orders/items/1', { headers: { cookie: bob } })).status).toBe(201)
  })

  it('leaves to the app what it is not for, and the app answers it as before', async () => {
    const cookie = await gw.login('carol')
    for (const [path, headers] of [
      ['/api/', {}],
      ['/api/orders/../auth/session', {}],
      ['/api/orders/a%2fb', {}],
      ['/api/orders/x', { host: 'Example.COM' }],
      ['/auth/session', {}],
    ] as const) {
      const { viaFast, viaApp, took } = await both(path, { headers: { cookie, ...headers } })
      expect(took, path).toEqual([false])
      expect(comparable(viaFast), path).toEqual(comparable(viaApp))
    }
  })
})
