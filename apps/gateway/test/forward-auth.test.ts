import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { cookiePair, makeGateway, tempDir, type TestGateway } from './helpers.js'
import { verifierFor } from './token-helpers.js'

const PROXY = '127.0.0.1'
const ROUTES = [
  { upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] },
  { upstream: 'orders', pathPrefix: '/public', anonymous: true },
]

let gw: TestGateway
let alice: string
let root: string
beforeEach(async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'gatehouse.json'), JSON.stringify({ routes: ROUTES }))
  gw = await makeGateway({ dir, env: { GATEHOUSE_CONFIG: join(dir, 'gatehouse.json'), GATEHOUSE_TRUSTED_PROXIES: `${PROXY},::1` } })
  await gw.createUser('alice')
  await gw.createUser('root', { roles: ['user', 'admin'] })
  alice = await gw.login('alice')
  root = await gw.login('root')
})

/** The sub-request nginx's auth_request sends: the browser's headers, plus the original request. */
function forward(cookie: string | undefined, uri: string, options: { method?: string; headers?: Record<string, string>; peer?: string } = {}) {
  return gw.request('/auth/forward', {
    peer: options.peer ?? PROXY,
    headers: { 'x-original-method': options.method ?? 'GET', 'x-original-uri': uri, ...options.headers },
    ...(cookie === undefined ? {} : { cookie }),
  })
}

const bearer = (res: Response) => res.headers.get('authorization')?.replace(/^Bearer /, '')

describe('GET /auth/forward', () => {
  it('answers 200 with a token for the named upstream that the service verifies', async () => {
    const res = await forward(alice, '/api/orders/orders?page=2')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    // A declared empty body: nginx keeps the connection to the gateway alive only then.
    expect(res.headers.get('content-length')).toBe('0')
    const claims = await (await verifierFor(gw, 'orders')).verify(bearer(res)!)
    expect(claims).toMatchObject({ aud: 'orders', roles: ['user'] })
    // Scoped to that upstream: another service refuses it.
    await expect((await verifierFor(gw, 'profile')).verify(bearer(res)!)).rejects.toMatchObject({ code: 'ERR_AUDIENCE_INVALID' })
    expect(gw.logs.text()).toContain('/auth/forward')
    expect(gw.logs.text()).not.toContain(bearer(res)!)
  })

  it('401 with no token without a session, after logout, and for a forged cookie', async () => {
    expect((await forward(undefined, '/api/orders/orders')).status).toBe(401)
    const forged = `${alice.slice(0, -3)}abc`
    expect((await forward(forged, '/api/orders/orders')).status).toBe(401)
    expect((await gw.request('/auth/logout', { method: 'POST', cookie: alice })).status).toBe(204)
    const after = await forward(alice, '/api/orders/orders')
    expect(after.status).toBe(401)
    expect(after.headers.get('authorization')).toBeNull()
    expect(await after.json()).toMatchObject({ code: 'ERR_UNAUTHENTICATED' })
  })

  it('applies the route rules and roles of /api: 403 without the role, however the path is spelled', async () => {
    for (const uri of ['/api/orders/admin/x', '/api/orders/Admin/x', '/api/orders/%61dmin', '/api/orders//admin/']) {
      const res = await forward(alice, uri)
      expect(res.status, uri).toBe(403)
      expect(res.headers.get('authorization')).toBeNull()
      expect(await res.json()).toMatchObject({ code: 'ERR_FORBIDDEN' })
    }
    const ok = await forward(root, '/api/orders/admin/x')
    expect(ok.status).toBe(200)
    expect(bearer(ok)).toBeTruthy()
  })

  it('is counted in /metrics as route class "forward", apart from logins', async () => {
    await forward(alice, '/api/orders/orders')
    await forward(undefined, '/api/orders/orders')
    const text = await (await gw.request('/metrics')).text()
    expect(text).toContain('gatehouse_http_requests_total{route_class="forward",status="200"} 1')
    expect(text).toContain('gatehouse_http_requests_total{route_class="forward",status="401"} 1')
  })

  it('an anonymous route is allowed without a session, with no token', async () => {
    const res = await forward(undefined, '/api/orders/public/x')
    expect(res.status).toBe(200)
    expect(res.headers.get('authorization')).toBeNull()
  })

  it('takes the original request from Traefik headers, or from the path after /auth/forward (Envoy)', async () => {
    const traefik = await gw.request('/auth/forward', {
      peer: PROXY,
      cookie: alice,
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/orders/admin/x' },
    })
    expect(traefik.status).toBe(403)
    const envoy = await gw.request('/auth/forward/api/orders/orders?x=1', { peer: PROXY, cookie: alice, method: 'PUT', headers: { origin: gw.config.publicOrigin } })
    expect(envoy.status).toBe(200)
    expect(bearer(envoy)).toBeTruthy()
    expect((await gw.request('/auth/forward/api/orders/admin', { peer: '::ffff:127.0.0.1', cookie: alice })).status).toBe(403)
  })

  it('passes a rotated cookie back with the token', async () => {
    gw.clock.advance((gw.config.rotateEveryS + 1) * 1000)
    const res = await forward(alice, '/api/orders/orders')
    expect(res.status).toBe(200)
    const rotated = cookiePair(res)
    expect(rotated).toBeDefined()
    expect(rotated).not.toBe(alice)
    expect((await forward(rotated, '/api/orders/orders')).status).toBe(200)
  })
})

describe('/auth/forward refuses', () => {
  it('400 for a missing, unsafe or unknown original target, before looking at the session', async () => {
    const missing = await gw.request('/auth/forward', { peer: PROXY, cookie: alice })
    expect(missing.status).toBe(400)
    for (const uri of ['/api/orders/../../admin/users', '/api/orders/%2e%2e/x', '/api/orders/a%2fb', '/auth/session', '/api/nosuch/x']) {
      const res = await forward(alice, uri)
      expect(res.status, uri).toBe(400)
      expect(res.headers.get('authorization')).toBeNull()
      expect(await res.json()).toMatchObject({ code: 'ERR_BAD_REQUEST' })
    }
    expect((await forward(alice, '/api/orders/x', { method: 'GE T' })).status).toBe(400)
  })

  it('403 for a cross-site state-changing original request, and the session is not touched', async () => {
    gw.clock.advance((gw.config.rotateEveryS + 1) * 1000)
    const forged: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: gw.config.publicOrigin }]
    for (const headers of forged) {
      const res = await forward(alice, '/api/orders/orders', { method: 'POST', headers })
      expect(res.status).toBe(403)
      expect(await res.json()).toMatchObject({ code: 'ERR_CROSS_SITE' })
      expect(res.headers.get('authorization')).toBeNull()
      // Refused before the session check: no rotation happened for a forged request.
      expect(cookiePair(res)).toBeUndefined()
    }
    const same = await forward(alice, '/api/orders/orders', { method: 'POST', headers: { origin: gw.config.publicOrigin, 'sec-fetch-site': 'same-origin' } })
    expect(same.status).toBe(200)
  })

  it('403 to anyone but a trusted proxy: a browser script on the origin never gets a token', async () => {
    for (const peer of ['203.0.113.9', '10.0.0.1']) {
      const res = await forward(alice, '/api/orders/orders', { peer })
      expect(res.status).toBe(403)
      expect(res.headers.get('authorization')).toBeNull()
    }
    // No socket at all (not a connection from a listed proxy).
    const bare = await gw.request('/auth/forward', { cookie: alice, headers: { 'x-original-uri': '/api/orders/orders' } })
    expect(bare.status).toBe(403)
    expect(bare.headers.get('authorization')).toBeNull()
  })

  it('is off without GATEHOUSE_TRUSTED_PROXIES', async () => {
    const plain = await makeGateway()
    await plain.createUser('bob')
    const cookie = await plain.login('bob')
    const res = await plain.request('/auth/forward', { peer: PROXY, cookie, headers: { 'x-original-uri': '/api/orders/orders' } })
    expect(res.status).toBe(403)
    expect(res.headers.get('authorization')).toBeNull()
  })
})
