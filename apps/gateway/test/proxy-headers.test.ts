import { afterEach, describe, expect, it } from 'vitest'
import { createVerifier } from '@gatehouse/verify'
import { FakeClock, ORIGIN } from './helpers.js'
import { json, rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/

let upstream: TestUpstream
let gw: ProxyGateway
afterEach(async () => {
  await gw?.close(0)
  await upstream?.close()
})

/** An upstream that answers with hop-by-hop headers and a cookie of its own, and echoes what it saw. */
async function setup(clock?: FakeClock, env?: Record<string, string>) {
  upstream = await startUpstream((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': ['upstream_session=stolen; Path=/', 'other=1'],
        'keep-alive': 'timeout=77',
        connection: 'x-upstream-hop',
        'x-upstream-hop': 'private',
        'proxy-authenticate': 'Basic realm="upstream"',
        'clear-site-data': '"cookies", "storage"',
        'access-control-allow-origin': 'https://evil.example',
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': '*',
        'access-control-expose-headers': 'x-secret',
        server: 'Apache/2.4.1 (Unix) OpenSSL/1.0.1',
        'x-powered-by': 'PHP/5.6.40',
        upgrade: 'h2c',
        'x-end-to-end': 'kept',
      })
      res.end(JSON.stringify({ ok: true }))
    })
  })
  gw = await startProxyGateway({ upstreams: { echo: upstream.url }, ...(clock ? { clock } : {}), ...(env ? { env } : {}) })
}

describe('proxy header hygiene', () => {
  it('sends the upstream a verifiable JWT in place of the browser credentials, without hop-by-hop headers', async () => {
    await setup()
    const cookie = await gw.login('alice', ['user', 'auditor'])
    const res = await rawRequest(gw.url, '/api/echo/a/b?x=1&y=%2F', {
      headers: {
        cookie: `${cookie}; theme=dark`,
        authorization: 'Basic YWxpY2U6c2VjcmV0',
        'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
        connection: 'keep-alive, x-client-hop',
        'x-client-hop': 'private',
        'keep-alive': 'timeout=99',
        te: 'trailers',
        upgrade: 'h2c',
        forwarded: 'for=192.0.2.60',
        'x-forwarded-for': '198.51.100.1',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'gopher',
        'x-request-id': 'req-123',
        'x-real-ip': '10.0.0.1',
        'true-client-ip': '10.0.0.2',
        'cf-connecting-ip': '10.0.0.3',
        'x-client-ip': '10.0.0.4',
        'x-cluster-client-ip': '10.0.0.5',
        'fastly-client-ip': '10.0.0.6',
        'x_forwarded_for': '10.0.0.7',
        'x_real_ip': '10.0.0.8',
        'X_Forwarded_Host': 'evil.example',
        'x-forwarded-port': '1',
        'x_custom_underscore': 'passes too',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=1',
        'x-custom': 'passes',
      },
    })
    expect(res.status).toBe(200)

    expect(upstream.seen).toHaveLength(1)
    const { url, headers } = upstream.seen[0]!
    expect(url).toBe('/a/b?x=1&y=%2F')
    expect(headers.cookie).toBeUndefined()
    expect(headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    const dropped = ['proxy-authorization', 'x-client-hop', 'keep-alive', 'te', 'upgrade', 'forwarded', 'trailer', 'transfer-encoding']
    const addresses = ['x-real-ip', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-cluster-client-ip', 'fastly-client-ip']
    const underscores = ['x_forwarded_for', 'x_real_ip', 'x_forwarded_host', 'x-forwarded-port']
    for (const name of [...dropped, ...addresses, ...underscores]) {
      expect(headers[name], name).toBeUndefined()
    }
    // The gateway's own agent keeps its connection to the upstream alive; nothing the browser named.
    expect(headers.connection ?? 'keep-alive').toBe('keep-alive')
    expect(headers.host).toBe(`127.0.0.1:${upstream.port}`)
    expect(headers['x-forwarded-for']).toBe('198.51.100.1, 127.0.0.1')
    expect(headers['x-forwarded-proto']).toBe('http')
    expect(headers['x-forwarded-host']).toBe(new URL(ORIGIN).host)
    // A client's request id is not taken (no trusted proxy in front): the gateway makes its own.
    expect(headers['x-request-id']).not.toBe('req-123')
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(headers['x_custom_underscore']).toBe('passes too')
    expect(headers.traceparent).toBe(TRACEPARENT)
    expect(headers.tracestate).toBe('vendor=1')
    expect(headers['x-custom']).toBe('passes')

    // The token is the real thing: it verifies against the gateway's JWKS for this audience.
    const verifier = createVerifier({ issuer: ORIGIN, audience: 'echo', jwksUrl: `${gw.url}/.well-known/jwks.json` })
    const claims = await verifier.verify(headers.authorization!.slice('Bearer '.length))
    const session = (await (await fetch(`${gw.url}/auth/session`, { headers: { cookie } })).json()) as {
      user: { id: string }
      session: { id: string }
    }
    expect(claims).toMatchObject({ sub: session.user.id, sid: session.session.id, aud: 'echo', iss: ORIGIN })
    expect([...claims.roles].sort()).toEqual(['auditor', 'user'])
    // Neither credential reaches the logs.
    expect(gw.logs.text()).toContain('"path":"/api/echo/a/b"')
    expect(gw.logs.text()).not.toContain(headers.authorization!.slice('Bearer '.length))
    expect(gw.logs.text()).not.toContain(cookie.split('=')[1]!)
  })

  it('passes the upstream answer back without its cookies or hop-by-hop headers', async () => {
    await setup()
    const cookie = await gw.login('alice')
    const res = await rawRequest(gw.url, '/api/echo/x', { headers: { cookie, 'x-request-id': 'req-456' } })
    expect(res.status).toBe(200)
    expect(json(res)).toEqual({ ok: true })
    expect(res.headers['x-end-to-end']).toBe('kept')
    expect(res.headers['set-cookie'] ?? []).toEqual([])
    expect(res.headers['x-upstream-hop']).toBeUndefined()
    expect(res.headers['proxy-authenticate']).toBeUndefined()
    expect(res.headers.upgrade).toBeUndefined()
    // Connection and Keep-Alive here are the gateway's own, for its hop to the browser.
    expect(res.headers.connection ?? '').not.toContain('x-upstream-hop')
    expect(res.headers['keep-alive'] ?? '').not.toContain('77')
    // The gateway decides what wipes the origin's storage and who may read it from elsewhere.
    for (const name of ['clear-site-data', 'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-headers', 'access-control-expose-headers', 'server', 'x-powered-by']) {
      expect(res.headers[name], name).toBeUndefined()
    }
    expect(res.headers['x-request-id']).not.toBe('req-456')
    expect(res.headers['x-request-id']).toBe(upstream.seen[0]!.headers['x-request-id'])
  })

  it('a trusted proxy in front may name the request id, when it is well-formed', async () => {
    await setup(undefined, { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' })
    const cookie = await gw.login('alice')
    const good = await rawRequest(gw.url, '/api/echo/x', { headers: { cookie, 'x-request-id': 'lb-7f3a:01.2_x' } })
    expect(good.headers['x-request-id']).toBe('lb-7f3a:01.2_x')
    expect(upstream.seen[0]!.headers['x-request-id']).toBe('lb-7f3a:01.2_x')
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', 'a"quote']) {
      const res = await rawRequest(gw.url, '/api/echo/x', { headers: { cookie, 'x-request-id': bad } })
      expect(res.status).toBe(200)
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(gw.logs.text()).not.toContain('semi;colon')
  })

  it("passes the gateway's own rotated session cookie on a proxied answer, and only that one", async () => {
    const clock = new FakeClock()
    await setup(clock)
    const cookie = await gw.login('alice')
    clock.advance(301_000) // past GATEHOUSE_ROTATE_EVERY
    const res = await rawRequest(gw.url, '/api/echo/x', { headers: { cookie } })
    expect(res.status).toBe(200)
    const cookies = res.headers['set-cookie'] ?? []
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatch(/^gatehouse=Fe26\.2\*/)
    expect(cookies[0]!.split(';')[0]).not.toBe(cookie)
  })

  it('creates a traceparent when the browser sent none or an invalid one, and drops its tracestate', async () => {
    await setup()
    const cookie = await gw.login('alice')
    await rawRequest(gw.url, '/api/echo/none', { headers: { cookie } })
    await rawRequest(gw.url, '/api/echo/bad', {
      headers: { cookie, traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'vendor=1' },
    })
    const [none, bad] = upstream.seen
    expect(none!.headers.traceparent).toMatch(TRACE)
    expect(bad!.headers.traceparent).toMatch(TRACE)
    expect(bad!.headers.traceparent).not.toContain('00000000000000000000000000000000')
    expect(bad!.headers.tracestate).toBeUndefined()
    expect(none!.headers.traceparent).not.toBe(bad!.headers.traceparent)
    // And a request id the gateway made up when the browser sent none.
    expect(none!.headers['x-request-id']).toMatch(/^[\w-]{8,}$/)
  })

  it('passes method, path and query through unchanged and keeps the upstream connection alive', async () => {
    await setup()
    const cookie = await gw.login('alice')
    const paths = ['/api/echo', '/api/echo/', '/api/echo/orders/42?expand=items&sort=-date', '/api/echo/a%20b/%C3%A9?q=%2e%2e']
    for (const path of paths) expect((await rawRequest(gw.url, path, { method: 'DELETE', headers: { cookie } })).status).toBe(200)
    expect(upstream.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE /',
      'DELETE /',
      'DELETE /orders/42?expand=items&sort=-date',
      'DELETE /a%20b/%C3%A9?q=%2e%2e',
    ])
    expect(new Set(upstream.seen.map((s) => s.remotePort)).size).toBe(1)
  })
})
