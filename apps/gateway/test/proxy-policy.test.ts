import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, once, rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

const ROUTES = [
  { upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] },
  { upstream: 'orders', pathPrefix: '/public', anonymous: true },
  { upstream: 'orders', pathPrefix: '/upload', methods: ['POST', 'PUT'], maxBodyBytes: 1000 },
  { upstream: 'orders', pathPrefix: '/slow', timeoutMs: 150 },
  { upstream: 'orders', pathPrefix: '/reports', methods: ['GET'], roles: ['auditor'] },
]

let upstream: TestUpstream
let gw: ProxyGateway
let alice: string // role user
let root: string // roles user, admin
beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url!.startsWith('/slow')) return void req.resume() // never answers
    if (req.url === '/upload/early') {
      // Answers before reading the body, then drops the connection.
      return void req.once('data', () => res.end('early', () => req.socket.destroy()))
    }
    let bytes = 0
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ bytes, authorized: req.headers.authorization !== undefined }))
    })
  })
  // The environment's timeout is long: only the route's own can produce the 504 below.
  // These sessions collect many 403s on purpose: the anomaly policy's burst check (tested in
  // anomalies.test.ts) is off here, or it would end them halfway.
  gw = await startProxyGateway({
    upstreams: { orders: upstream.url, other: upstream.url },
    routes: ROUTES,
    anomalies: { forbiddenBurst: { action: 'ignore' } },
    env: { GATEHOUSE_UPSTREAM_TIMEOUT: '60000' },
  })
  alice = await gw.login('alice')
  root = await gw.login('root', ['user', 'admin'])
})
afterAll(async () => {
  await gw.close(0)
  await upstream.close()
})

/** Runs `request` and says whether the upstream saw it. */
async function reached(request: () => Promise<{ status: number }>): Promise<{ status: number; upstreamCalled: boolean }> {
  const before = upstream.seen.length
  const { status } = await request()
  return { status, upstreamCalled: upstream.seen.length > before }
}

describe('route policy: roles', () => {
  it('403 at the gateway for a user without the role, the upstream never called', async () => {
    const res = await rawRequest(gw.url, '/api/orders/admin/orders', { headers: { cookie: alice } })
    expect(res.status).toBe(403)
    expect(json(res)).toMatchObject({ code: 'ERR_FORBIDDEN' })
    expect(upstream.seen.some((s) => s.url.includes('admin'))).toBe(false)
  })

  it('cannot be dodged by spelling the path another way', async () => {
    for (const path of ['/api/orders/Admin/orders', '/api/orders/%61dmin/orders', '/api/orders//admin/orders', '/api/orders/admin;x=1/orders', '/api/orders/admin', '/api/orders/admin/']) {
      for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS']) {
        expect(await reached(() => rawRequest(gw.url, path, { method, headers: { cookie: alice } })), `${method} ${path}`).toEqual({ status: 403, upstreamCalled: false })
      }
    }
  })

  it('passes a user with the role, and leaves look-alike paths alone', async () => {
    expect(await reached(() => rawRequest(gw.url, '/api/orders/admin/orders', { headers: { cookie: root } }))).toEqual({ status: 200, upstreamCalled: true })
    expect(await reached(() => rawRequest(gw.url, '/api/orders/administrator', { headers: { cookie: alice } }))).toEqual({ status: 200, upstreamCalled: true })
    // The rule is for the orders upstream only.
    expect(await reached(() => rawRequest(gw.url, '/api/other/admin/orders', { headers: { cookie: alice } }))).toEqual({ status: 200, upstreamCalled: true })
  })

  it('a rule on GET also guards HEAD, and leaves other methods to the defaults', async () => {
    expect((await rawRequest(gw.url, '/api/orders/reports/q1', { headers: { cookie: alice } })).status).toBe(403)
    expect((await rawRequest(gw.url, '/api/orders/reports/q1', { method: 'HEAD', headers: { cookie: alice } })).status).toBe(403)
    expect((await rawRequest(gw.url, '/api/orders/reports/q1', { method: 'POST', headers: { cookie: alice } })).status).toBe(200)
  })
})

describe('route policy: anonymous routes', () => {
  it('forwards a call without a session, with no token and no Authorization', async () => {
    const res = await rawRequest(gw.url, '/api/orders/public/catalog', { headers: { authorization: 'Bearer browser-made-this-up' } })
    expect(res.status).toBe(200)
    expect(json(res)).toMatchObject({ authorized: false })
    expect(upstream.seen.at(-1)!.headers.authorization).toBeUndefined()
  })

  it('still sends the token when there is a session', async () => {
    const res = await rawRequest(gw.url, '/api/orders/public/catalog', { headers: { cookie: alice } })
    expect(json(res)).toMatchObject({ authorized: true })
  })

  it('does not open the rest of the upstream', async () => {
    expect(await reached(() => rawRequest(gw.url, '/api/orders/orders'))).toEqual({ status: 401, upstreamCalled: false })
  })
})

describe('route policy: body size', () => {
  it('413 for a declared Content-Length over the limit, before the upstream sees anything', async () => {
    const res = await reached(() => rawRequest(gw.url, '/api/orders/upload', { method: 'POST', body: Buffer.alloc(1001), headers: { cookie: alice } }))
    expect(res).toEqual({ status: 413, upstreamCalled: false })
  })

  it('413 for a chunked body that grows over the limit, the upstream request aborted', async () => {
    const target = new URL(gw.url)
    const req = http.request({ host: target.hostname, port: target.port, path: '/api/orders/upload', method: 'PUT', headers: { cookie: alice }, agent: false })
    req.on('error', () => {})
    req.write(Buffer.alloc(600))
    req.write(Buffer.alloc(600))
    req.end()
    const res = await once<http.IncomingMessage>(req, 'response')
    expect(res.statusCode).toBe(413)
    res.resume()
  })

  it('survives a chunked body that passes the limit after the upstream already answered and hung up', async () => {
    const target = new URL(gw.url)
    const req = http.request({ host: target.hostname, port: target.port, path: '/api/orders/upload/early', method: 'PUT', headers: { cookie: alice }, agent: false })
    req.on('error', () => {})
    req.write(Buffer.alloc(600))
    const res = await once<http.IncomingMessage>(req, 'response')
    expect(res.statusCode).toBe(200)
    res.resume()
    req.end(Buffer.alloc(20_000))
    await once(res, 'close')
    expect((await rawRequest(gw.url, '/api/orders/still-there', { headers: { cookie: alice } })).status).toBe(200)
  })

  it('lets bodies within the limit through, and other methods past the rule', async () => {
    const within = await rawRequest(gw.url, '/api/orders/upload', { method: 'POST', body: Buffer.alloc(1000), headers: { cookie: alice } })
    expect(json(within)).toMatchObject({ bytes: 1000 })
    const patch = await rawRequest(gw.url, '/api/orders/upload', { method: 'PATCH', body: Buffer.alloc(5000), headers: { cookie: alice } })
    expect(json(patch)).toMatchObject({ bytes: 5000 })
  })
})

describe('route policy: timeout', () => {
  it('504 after the route\'s own timeout', async () => {
    const res = await rawRequest(gw.url, '/api/orders/slow/report', { headers: { cookie: alice } })
    expect(res.status).toBe(504)
    expect(json(res)).toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' })
  })
})
