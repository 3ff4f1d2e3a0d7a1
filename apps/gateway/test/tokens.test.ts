import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { makeGateway } from './helpers.js'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { loggedIn, servedJwks, verifierFor } from './token-helpers.js'

const TTL_S = 300

describe('access tokens minted through the gateway', () => {
  it('carry exactly the RFC 9068 header and claims, and verify with @gatehouse/verify', async () => {
    const gw = await makeGateway()
    const { subject, user } = await loggedIn(gw, 'alice', ['admin', 'user'])
    const token = await gw.core.tokens.tokenFor(subject, 'orders')

    const header = decodeProtectedHeader(token)
    const kid = (await servedJwks(gw)).keys[0]!.kid
    expect(header).toEqual({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    const claims = decodeJwt(token)
    const iat = Math.floor(gw.clock.now() / 1000)
    expect(claims).toEqual({
      iss: 'http://localhost:8080',
      aud: 'orders',
      sub: user.id,
      sid: subject.sessionId,
      roles: ['admin', 'user'],
      client_id: 'gatehouse',
      iat,
      exp: iat + TTL_S,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    })

    for (const source of ['snapshot', 'url'] as const) {
      const verified = await (await verifierFor(gw, 'orders', source)).verify(token)
      expect(verified).toMatchObject({ sub: user.id, sid: subject.sessionId, aud: 'orders' })
    }
    // Another service does not accept it.
    await expect((await verifierFor(gw, 'profile')).verify(token)).rejects.toMatchObject({ code: 'ERR_AUDIENCE_INVALID' })
  })

  it('exp follows GATEHOUSE_ACCESS_TTL, and every token has its own jti', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ACCESS_TTL: '60' } })
    const { subject } = await loggedIn(gw)
    const a = decodeJwt(await gw.core.tokens.tokenFor(subject, 'orders'))
    const b = decodeJwt(await gw.core.tokens.tokenFor(subject, 'profile'))
    const c = decodeJwt(await gw.core.tokens.tokenFor(subject, 'orders', { fresh: true }))
    expect(a.exp! - a.iat!).toBe(60)
    expect(new Set([a.jti, b.jti, c.jti]).size).toBe(3)
  })

  for (const [alg, kty] of [
    ['ES256', 'EC'],
    ['RS256', 'RSA'],
  ] as const) {
    it(`signs with ${alg} when GATEHOUSE_SIGNING_ALG says so`, async () => {
      const gw = await makeGateway({ env: { GATEHOUSE_SIGNING_ALG: alg } })
      const { subject } = await loggedIn(gw)
      const token = await gw.core.tokens.tokenFor(subject, 'orders')
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' })
      expect((await servedJwks(gw)).keys).toEqual([expect.objectContaining({ kty, alg, use: 'sig' })])
      await expect((await verifierFor(gw, 'orders')).verify(token)).resolves.toMatchObject({ sid: subject.sessionId })
    })
  }

  it('changing GATEHOUSE_SIGNING_ALG on an existing store rotates to a key of the new alg at start-up', async () => {
    const first = await makeGateway()
    const { subject } = await loggedIn(first)
    const old = await first.core.tokens.tokenFor(subject, 'orders')
    const second = await makeGateway({ dir: first.config.dataDir, env: { GATEHOUSE_SIGNING_ALG: 'ES256' }, clock: first.clock })
    // Published at once, signing after the activation delay (services may need to refetch first).
    expect(decodeProtectedHeader(await second.core.tokens.tokenFor(subject, 'orders', { fresh: true })).alg).toBe('EdDSA')
    second.clock.advance(40_000)
    second.core.keys.refresh()
    const token = await second.core.tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(decodeProtectedHeader(token).alg).toBe('ES256')
    // The EdDSA key was rotated out normally: its tokens still verify.
    const jwks = await servedJwks(second)
    expect(jwks.keys.map((k) => k.alg)).toEqual(['ES256', 'EdDSA'])
    await expect((await verifierFor(second, 'orders')).verify(old)).resolves.toBeDefined()
  })
})

describe('the token cache', () => {
  it('hands out the same token while more than 40% of its lifetime is left, a new one once 20% is', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    const first = await gw.core.tokens.tokenFor(subject, 'orders')
    expect(await gw.core.tokens.tokenFor(subject, 'orders')).toBe(first)
    expect(await gw.core.tokens.tokenFor(subject, 'profile')).not.toBe(first)

    // Each token's own renewal point is drawn in [20%, 40%) of its life left (the spread).
    gw.clock.advance(0.6 * TTL_S * 1000 - 1000)
    expect(await gw.core.tokens.tokenFor(subject, 'orders')).toBe(first)
    gw.clock.advance(0.2 * TTL_S * 1000 + 1000)
    const second = await gw.core.tokens.tokenFor(subject, 'orders')
    expect(second).not.toBe(first)
    expect(decodeJwt(second).iat).toBe(Math.floor(gw.clock.now() / 1000))
    await expect((await verifierFor(gw, 'orders')).verify(second)).resolves.toBeDefined()
  })

  it('a token for other roles is never taken from the cache', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    const first = await gw.core.tokens.tokenFor(subject, 'orders')
    const other = await gw.core.tokens.tokenFor({ ...subject, roles: ['user', 'admin'] }, 'orders')
    expect(other).not.toBe(first)
    expect(decodeJwt(other).roles).toEqual(['user', 'admin'])
  })

  it('parallel misses share one renewal and one token', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    const tokens = await Promise.all(Array.from({ length: 20 }, () => gw.core.tokens.tokenFor(subject, 'orders')))
    expect(new Set(tokens).size).toBe(1)
    expect(await gw.store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: 1 })
  })

  it('a session that logs out gets no token, and its cached one is dropped at once', async () => {
    const gw = await makeGateway()
    const { subject, cookie } = await loggedIn(gw)
    await gw.core.tokens.tokenFor(subject, 'orders')
    expect((await gw.request('/auth/logout', { method: 'POST', cookie })).status).toBe(204)
    // Had the cache kept it, this would still return the token minted above.
    await expect(gw.core.tokens.tokenFor(subject, 'orders')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
    await expect(gw.core.tokens.tokenFor(subject, 'profile')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
  })

  it('a session revoked by an admin or by a role change gets no token', async () => {
    const gw = await makeGateway()
    const admin = await loggedIn(gw, 'root', ['admin'])
    const { subject, user } = await loggedIn(gw, 'bob')
    await gw.core.tokens.tokenFor(subject, 'orders')
    expect((await gw.request(`/admin/users/${user.id}/roles`, { method: 'PUT', cookie: admin.cookie, body: { roles: ['user', 'x'] } })).status).toBeLessThan(300)
    await expect(gw.core.tokens.tokenFor(subject, 'orders')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
  })

  it('an expired session gets no token', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    await gw.core.tokens.tokenFor(subject, 'orders')
    gw.clock.advance(gw.config.idleTtlS * 1000 + touchIntervalMs(gw.config.idleTtlS))
    await expect(gw.core.tokens.tokenFor(subject, 'orders')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
  })
})
