import { afterEach, describe, expect, it } from 'vitest'
import { closedPort, json, rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type RawResponse, type TestUpstream } from './proxy-helpers.js'

let upstream: TestUpstream | undefined
let gw: ProxyGateway | undefined
afterEach(async () => {
  await gw?.close(0)
  await upstream?.close()
  gw = undefined
  upstream = undefined
})

function expectProblem(res: RawResponse, status: number, code: string) {
  expect(res.status).toBe(status)
  expect(res.headers['content-type']).toBe('application/problem+json')
  expect(json(res)).toMatchObject({ status, code })
}

async function okUpstream() {
  return startUpstream((req, res) => {
    req.resume()
    res.end('ok')
  })
}

describe('proxy failure answers', () => {
  it('401 without a valid session, before the upstream sees anything', async () => {
    upstream = await okUpstream()
    gw = await startProxyGateway({ upstreams: { orders: upstream.url } })
    expectProblem(await rawRequest(gw.url, '/api/orders/orders'), 401, 'ERR_UNAUTHENTICATED')
    expectProblem(await rawRequest(gw.url, '/api/orders/orders', { headers: { cookie: 'gatehouse=Fe26.2*forged' } }), 401, 'ERR_UNAUTHENTICATED')
    expectProblem(await rawRequest(gw.url, '/api/orders/orders', { method: 'POST', body: 'x', headers: { authorization: 'Bearer whatever' } }), 401, 'ERR_UNAUTHENTICATED')
    expect(upstream.seen).toHaveLength(0)
    // And the same session-less request with a cookie goes through: the refusal was the session.
    const cookie = await gw.login('alice')
    expect((await rawRequest(gw.url, '/api/orders/orders', { headers: { cookie } })).status).toBe(200)
    expect(upstream.seen).toHaveLength(1)
  })

  it('404 for an upstream name that is not configured', async () => {
    upstream = await okUpstream()
    gw = await startProxyGateway({ upstreams: { orders: upstream.url } })
    const cookie = await gw.login('alice')
    for (const path of ['/api/nope/x', '/api/ORDERS/x', '/api/ord%65rs/x', '/api//orders/x']) {
      expectProblem(await rawRequest(gw.url, path, { headers: { cookie } }), 404, 'ERR_NOT_FOUND')
    }
    expect(upstream.seen).toHaveLength(0)
  })

  it('502 when the upstream is unreachable', async () => {
    gw = await startProxyGateway({ upstreams: { down: `http://127.0.0.1:${await closedPort()}` } })
    const cookie = await gw.login('alice')
    expectProblem(await rawRequest(gw.url, '/api/down/x', { headers: { cookie } }), 502, 'ERR_UPSTREAM_UNREACHABLE')
    expectProblem(await rawRequest(gw.url, '/api/down/x', { method: 'PUT', body: 'payload', headers: { cookie } }), 502, 'ERR_UPSTREAM_UNREACHABLE')
    expect(gw.logs.text()).toContain('upstream request failed')
  })

  it('502 when the upstream drops the connection without answering', async () => {
    upstream = await startUpstream((req) => req.socket.destroy())
    gw = await startProxyGateway({ upstreams: { rude: upstream.url } })
    const cookie = await gw.login('alice')
    expectProblem(await rawRequest(gw.url, '/api/rude/x', { method: 'POST', body: 'x', headers: { cookie } }), 502, 'ERR_UPSTREAM_UNREACHABLE')
  })

  it('504 when no response headers come within GATEHOUSE_UPSTREAM_TIMEOUT', async () => {
    upstream = await startUpstream((req) => req.resume()) // reads the request, never answers
    gw = await startProxyGateway({ upstreams: { hang: upstream.url }, env: { GATEHOUSE_UPSTREAM_TIMEOUT: '150' } })
    const cookie = await gw.login('alice')
    expectProblem(await rawRequest(gw.url, '/api/hang/x', { headers: { cookie } }), 504, 'ERR_UPSTREAM_TIMEOUT')
    expect(upstream.seen).toHaveLength(1)
  })
})

describe('proxy path escapes (attacks)', () => {
  // Each of these could be read by some server on the way as leaving /api/orders/.
  const attacks = [
    ['dot-dot segment', '/api/orders/../profile/me'],
    ['dot-dot out of /api', '/api/orders/../../auth/session'],
    ['trailing dot-dot', '/api/orders/..'],
    ['single dot', '/api/orders/./admin'],
    ['encoded dot-dot', '/api/orders/%2e%2e/profile'],
    ['upper-case encoded dot-dot', '/api/orders/%2E%2E/profile'],
    ['half-encoded dot-dot', '/api/orders/.%2e/profile'],
    ['double-encoded dot-dot', '/api/orders/%252e%252e/profile'],
    ['double-encoded slash', '/api/orders/a%252fb'],
    ['encoded slash', '/api/orders/a%2fb'],
    ['upper-case encoded slash', '/api/orders/..%2Fprofile'],
    ['encoded backslash', '/api/orders/..%5cprofile'],
    ['upper-case encoded backslash', '/api/orders/a%5Cb'],
    ['backslash', '/api/orders/..\\profile'],
    ['plain backslash', '/api/orders/a\\b'],
    ['encoded NUL', '/api/orders/a%00b'],
    ['Tomcat path parameter', '/api/orders/..;/admin'],
    ['overlong UTF-8 dot-dot', '/api/orders/%c0%ae%c0%ae/profile'],
    ['malformed percent-encoding', '/api/orders/%zz'],
    ['encoded dot-dot as the upstream name', '/api/%2e%2e/orders'],
    ['absolute-form target', 'http://localhost/api/orders/../profile/me'],
  ] as const

  it.each(attacks)('400 for %s (%s), the upstream never called', async (_name, path) => {
    upstream = await okUpstream()
    gw = await startProxyGateway({ upstreams: { orders: upstream.url, profile: upstream.url } })
    const cookie = await gw.login('alice')
    expectProblem(await rawRequest(gw.url, path, { headers: { cookie } }), 400, 'ERR_BAD_REQUEST')
    expect(upstream.seen).toHaveLength(0)
  })

  it('lets through look-alikes that are not escapes', async () => {
    upstream = await okUpstream()
    gw = await startProxyGateway({ upstreams: { orders: upstream.url } })
    const cookie = await gw.login('alice')
    for (const path of ['/api/orders/..a/b.', '/api/orders/.well-known/x', '/api/orders/a%25b', '/api/orders/x?next=../../etc&p=%2f']) {
      expect((await rawRequest(gw.url, path, { headers: { cookie } })).status, path).toBe(200)
    }
    expect(upstream.seen.map((s) => s.url)).toEqual(['/..a/b.', '/.well-known/x', '/a%25b', '/x?next=../../etc&p=%2f'])
  })
})
