import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEMO_USER, type DemoIdp } from '@gatehouse/demo-idp'
import { FakeClock, type TestGateway } from './helpers.js'
import { idpTokensOf, loginViaIdp, oidcGateway, sessionIdOf, startTestIdp } from './oidc-helpers.js'
import { startUpstream, type TestUpstream } from './proxy-helpers.js'

let idp: DemoIdp
let upstream: TestUpstream
beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTtlS: 300 })
  upstream = await startUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"ok":true}')
  })
})
afterAll(async () => {
  await idp.close()
  await upstream.close()
})
beforeEach(() => {
  upstream.seen.length = 0
})

/** Counts the gateway's calls to the IdP's token endpoint with grant_type=refresh_token; `down` makes them fail. */
function countingFetch() {
  const counter = { refreshes: 0, down: false }
  const wrapped: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.startsWith(`${idp.issuer}/token`) && String(init?.body ?? '').includes('grant_type=refresh_token')) {
      if (counter.down) throw new TypeError('fetch failed')
      counter.refreshes++
    }
    return fetch(input, init)
  }
  return { counter, fetch: wrapped }
}

const ROUTES = { routes: [{ upstream: 'orders', pathPrefix: '/idp', token: 'idp' }] }
const gatewayFor = (options: { dir?: string; clock?: FakeClock; fetch?: typeof fetch } = {}) =>
  oidcGateway(idp, { config: ROUTES, upstreams: `orders=${upstream.url}`, ...options })
const bearer = (i: number) => upstream.seen[i]!.headers.authorization?.replace(/^Bearer /, '')

describe('"token": "idp" routes', () => {
  it('send the user’s IdP access token; other routes keep the internal JWT', async () => {
    const gw = await gatewayFor()
    const { session } = await loginViaIdp(gw)
    const { tokens } = await idpTokensOf(gw, await sessionIdOf(gw, 'ada'))
    expect((await gw.request('/api/orders/idp/me', { cookie: session! })).status).toBe(200)
    expect((await gw.request('/api/orders/other', { cookie: session! })).status).toBe(200)
    expect(bearer(0)).toBe(tokens.accessToken)
    expect(bearer(1)).not.toBe(tokens.accessToken)
    expect(JSON.parse(Buffer.from(bearer(1)!.split('.')[0]!, 'base64url').toString())).toMatchObject({ typ: 'at+jwt' })
    // The IdP itself accepts what the upstream received.
    const userinfo = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${bearer(0)}` } })
    expect(userinfo.status).toBe(200)
  })

  it('refuse a password session with 403 and never reach the upstream', async () => {
    const gw = await gatewayFor()
    await gw.createUser('carol')
    const cookie = await gw.login('carol')
    const res = await gw.request('/api/orders/idp/me', { cookie })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { code: string }).code).toBe('ERR_IDP_SESSION_REQUIRED')
    expect(upstream.seen).toHaveLength(0)
  })

  it('refresh an expiring access token once, though many requests need it at the same moment', async () => {
    const { counter, fetch } = countingFetch()
    const gw = await gatewayFor({ fetch })
    const { session } = await loginViaIdp(gw)
    const sid = await sessionIdOf(gw, 'ada')
    const before = (await idpTokensOf(gw, sid)).tokens
    gw.clock.advance(290_000)
    const answers = await Promise.all(Array.from({ length: 20 }, () => gw.request('/api/orders/idp/x', { cookie: session! })))
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(counter.refreshes).toBe(1)
    const after = (await idpTokensOf(gw, sid)).tokens
    expect(after.accessToken).not.toBe(before.accessToken)
    expect(after.refreshToken).not.toBe(before.refreshToken)
    expect(new Set(upstream.seen.map((_, i) => bearer(i)))).toEqual(new Set([after.accessToken]))
    // Fresh now: no further refresh.
    await gw.request('/api/orders/idp/x', { cookie: session! })
    expect(counter.refreshes).toBe(1)
  })

  it('refresh once across gateways sharing the store, and keep the rotated refresh token working', async () => {
    const clock = new FakeClock(Date.now())
    const one = countingFetch()
    const two = countingFetch()
    const a = await gatewayFor({ clock, fetch: one.fetch })
    const b = await gatewayFor({ clock, fetch: two.fetch, dir: a.config.dataDir })
    const { session } = await loginViaIdp(a)
    for (let round = 1; round <= 2; round++) {
      clock.advance(290_000)
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).request('/api/orders/idp/x', { cookie: session! })),
      )
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200))
      // One refresh per round in all: the IdP never saw a refresh token twice (it would have revoked the grant).
      expect(one.counter.refreshes + two.counter.refreshes).toBe(round)
    }
  })

  it('end the session everywhere (idp_revoked) when the IdP refuses the refresh token', async () => {
    const gw = await gatewayFor()
    const other = await gatewayFor({ dir: gw.config.dataDir, clock: gw.clock })
    const { session } = await loginViaIdp(gw)
    const sid = await sessionIdOf(gw, 'ada')
    await idp.revokeGrants(DEMO_USER.sub)
    gw.clock.advance(290_000)
    const res = await gw.request('/api/orders/idp/x', { cookie: session! })
    expect(res.status).toBe(401)
    expect((await gw.store.findSession(sid))?.revokedReason).toBe('idp_revoked')
    expect((await other.request('/auth/session', { cookie: session! })).status).toBe(401)
    expect(upstream.seen).toHaveLength(0)
    const [revoked] = await gw.store.listAudit({ type: 'session.revoked' })
    expect(revoked?.details).toEqual({ reason: 'idp_revoked' })
  })

  it('answer 503 while the IdP is unreachable, keep the session, and refresh once it is back', async () => {
    const { counter, fetch } = countingFetch()
    const gw = await gatewayFor({ fetch })
    const { session } = await loginViaIdp(gw)
    gw.clock.advance(290_000)
    counter.down = true
    const res = await gw.request('/api/orders/idp/x', { cookie: session! })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { code: string }).code).toBe('ERR_IDP_UNAVAILABLE')
    expect((await gw.request('/auth/session', { cookie: session! })).status).toBe(200)
    counter.down = false
    expect((await gw.request('/api/orders/idp/x', { cookie: session! })).status).toBe(200)
    expect(counter.refreshes).toBe(1)
  })
})
