import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose'
import { DEMO_USER, type DemoIdp } from '@gatehouse/demo-idp'
import type { TestGateway } from './helpers.js'
import { CLIENT_SECRET, idpTokensOf, loginViaIdp, oidcGateway, sessionIdOf, startRelay, startTestIdp } from './oidc-helpers.js'

let idp: DemoIdp
let relay: Awaited<ReturnType<typeof startRelay>>
beforeAll(async () => {
  relay = await startRelay()
  // The client's back-channel logout URI at the IdP: the relay to the test's gateway.
  idp = await startTestIdp({ backchannelLogoutUri: `${relay.url}/auth/oidc/demo/backchannel-logout` })
})
afterAll(async () => {
  await idp.close()
  await relay.close()
})

/** Asks the IdP's token endpoint to refresh, as the client would. */
async function refreshAtIdp(refreshToken: string) {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'gatehouse-demo', client_secret: CLIENT_SECRET }),
  })
  return { status: res.status, body: (await res.json()) as { error?: string } }
}

describe('POST /auth/logout of a session from the IdP', () => {
  it('answers 200 {endSessionUrl} for RP-initiated logout, ends the session and revokes the refresh token at the IdP', async () => {
    const gw = await oidcGateway(idp)
    const { session } = await loginViaIdp(gw)
    const sid = await sessionIdOf(gw, 'ada')
    const { tokens } = await idpTokensOf(gw, sid)
    // A second session's refresh token still works afterwards: the revocation is this session's only.
    const other = await loginViaIdp(gw)
    const otherSid = (await gw.store.listActiveSessions((await gw.store.findUserByUsername('ada'))!.id, gw.clock.now())).find((s) => s.id !== sid)!.id
    const otherTokens = (await idpTokensOf(gw, otherSid)).tokens

    const res = await gw.request('/auth/logout', { method: 'POST', cookie: session! })
    expect(res.status).toBe(200)
    const { endSessionUrl } = (await res.json()) as { endSessionUrl: string }
    const url = new URL(endSessionUrl)
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/session/end`)
    expect(url.searchParams.get('id_token_hint')).toBe(tokens.idToken)
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('http://localhost:8080/')
    expect(res.headers.get('set-cookie')).toMatch(/^gatehouse=; Max-Age=0/)
    expect((await gw.request('/auth/session', { cookie: session! })).status).toBe(401)
    expect((await gw.store.findSession(sid))?.revokedReason).toBe('logout')

    expect(await refreshAtIdp(tokens.refreshToken!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect((await refreshAtIdp(otherTokens.refreshToken!)).status).toBe(200)
    expect(other.session).toBeDefined()
    // The IdP accepts the URL the app is given.
    expect((await fetch(endSessionUrl, { redirect: 'manual' })).status).toBe(200)
  })
})

describe('POST /auth/logout while the IdP does not answer', () => {
  it('still ends the session here and answers 200 {endSessionUrl}; the failed revocation is logged without the token', async () => {
    let down = false
    const flaky: typeof fetch = async (input, init) => {
      if (down) throw new TypeError('fetch failed')
      return fetch(input, init)
    }
    const gw = await oidcGateway(idp, { fetch: flaky })
    const { session } = await loginViaIdp(gw)
    const { tokens } = await idpTokensOf(gw, await sessionIdOf(gw, 'ada'))
    down = true
    const res = await gw.request('/auth/logout', { method: 'POST', cookie: session! })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { endSessionUrl: string }).endSessionUrl).toContain(`${idp.issuer}/session/end?`)
    expect((await gw.request('/auth/session', { cookie: session! })).status).toBe(401)
    expect(gw.logs.text()).toContain('revoking the IdP token at logout failed')
    expect(gw.logs.text()).not.toContain(tokens.refreshToken!)
  })
})

describe('back-channel logout', () => {
  const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} }

  async function signedByIdp(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
    const key = await importJWK(idp.signingKey, 'RS256')
    return new SignJWT(claims as never).setProtectedHeader({ alg: 'RS256', kid: idp.signingKey.kid!, typ: 'logout+jwt', ...header }).sign(key)
  }
  const validClaims = (sid: string, gw: TestGateway) => ({
    iss: idp.issuer,
    aud: 'gatehouse-demo',
    iat: Math.floor(gw.clock.now() / 1000),
    jti: randomBytes(16).toString('hex'),
    sub: DEMO_USER.sub,
    sid,
    events: EVENT,
  })
  // Server to server: no cookie, no Origin.
  const post = (gw: TestGateway, body: string, type = 'application/x-www-form-urlencoded') =>
    gw.app.request('/auth/oidc/demo/backchannel-logout', { method: 'POST', headers: { 'content-type': type }, body })
  const form = (token: string) => new URLSearchParams({ logout_token: token }).toString()

  async function twoSessions(gw: TestGateway) {
    const a = await loginViaIdp(gw)
    const aId = await sessionIdOf(gw, 'ada')
    const b = await loginViaIdp(gw)
    const user = (await gw.store.findUserByUsername('ada'))!
    const bId = (await gw.store.listActiveSessions(user.id, gw.clock.now())).find((s) => s.id !== aId)!.id
    const aSid = (await gw.store.findIdpSession(aId))!.idpSid!
    const bSid = (await gw.store.findIdpSession(bId))!.idpSid!
    expect(aSid).not.toBe(bSid)
    return { a: { cookie: a.session!, id: aId, sid: aSid }, b: { cookie: b.session!, id: bId, sid: bSid } }
  }

  it('sent by the IdP, ends that IdP session’s Gatehouse session on every gateway (idp_logout), and no other', async () => {
    const gw = await oidcGateway(idp)
    const second = await oidcGateway(idp, { dir: gw.config.dataDir, clock: gw.clock })
    relay.to(gw)
    const { a, b } = await twoSessions(gw)
    await idp.backchannelLogout('gatehouse-demo', DEMO_USER.sub, a.sid)

    expect((await gw.store.findSession(a.id))?.revokedReason).toBe('idp_logout')
    expect((await gw.request('/auth/session', { cookie: a.cookie })).status).toBe(401)
    expect((await second.request('/auth/session', { cookie: a.cookie })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: b.cookie })).status).toBe(200)
    const [event] = await gw.store.listAudit({ type: 'oidc.backchannel_logout' })
    expect(event?.details).toEqual({ provider: 'demo', sessions: 1 })
  })

  it('a token with only `sub` ends every session of that user from this IdP', async () => {
    const gw = await oidcGateway(idp)
    const { a, b } = await twoSessions(gw)
    const { sid: _sid, ...claims } = validClaims('x', gw)
    expect((await post(gw, form(await signedByIdp(claims)))).status).toBe(200)
    for (const s of [a, b]) expect((await gw.store.findSession(s.id))?.revokedReason).toBe('idp_logout')
  })

  const invalid: [string, (gw: TestGateway, sid: string) => Promise<string>][] = [
    ['with a nonce', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), nonce: 'n' })],
    ['without the back-channel event', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), events: undefined })],
    ['with another event only', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), events: { 'http://schemas.openid.net/event/other': {} } })],
    ['for another audience', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), aud: 'other-app' })],
    ['from another issuer', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), iss: 'https://evil.example' })],
    ['without sid or sub', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), sid: undefined, sub: undefined })],
    ['without jti', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), jti: undefined })],
    ['issued long ago', (gw, sid) => signedByIdp({ ...validClaims(sid, gw), iat: Math.floor(gw.clock.now() / 1000) - 3600 })],
    ['unsigned (alg none)', async (gw, sid) => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      return `${b64({ alg: 'none' })}.${b64(validClaims(sid, gw))}.`
    }],
    ['HS256 keyed with the client secret', (gw, sid) =>
      new SignJWT(validClaims(sid, gw) as never).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET))],
    ['signed by a key that is not the IdP’s', async (gw, sid) => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true })
      const jwk = await exportJWK(privateKey)
      return new SignJWT(validClaims(sid, gw) as never).setProtectedHeader({ alg: 'RS256', kid: idp.signingKey.kid! }).sign(await importJWK(jwk, 'RS256'))
    }],
  ]
  it.each(invalid)('refuses a logout token %s with 400 and revokes nothing', async (_name, make) => {
    const gw = await oidcGateway(idp)
    const { a } = await twoSessions(gw)
    const res = await post(gw, form(await make(gw, a.sid)))
    expect(res.status).toBe(400)
    expect(((await res.json()) as { code: string }).code).toBe('ERR_INVALID_LOGOUT_TOKEN')
    expect((await gw.request('/auth/session', { cookie: a.cookie })).status).toBe(200)
    expect((await gw.store.listAudit({ type: 'oidc.backchannel_logout_refused' }))).toHaveLength(1)
  })

  it('refuses a replayed jti, though its other claims name a live session', async () => {
    const gw = await oidcGateway(idp)
    const { a, b } = await twoSessions(gw)
    const first = validClaims(a.sid, gw)
    expect((await post(gw, form(await signedByIdp(first)))).status).toBe(200)
    const replay = await post(gw, form(await signedByIdp({ ...first, sid: b.sid })))
    expect(replay.status).toBe(400)
    expect((await gw.request('/auth/session', { cookie: b.cookie })).status).toBe(200)
  })

  it('refuses a request without exactly one logout_token form field', async () => {
    const gw = await oidcGateway(idp)
    expect((await post(gw, '')).status).toBe(400)
    expect((await post(gw, JSON.stringify({ logout_token: 'x' }), 'application/json')).status).toBe(400)
    expect((await post(gw, 'logout_token=a&logout_token=b')).status).toBe(400)
    expect((await post(gw, form('not-a-jwt'))).status).toBe(400)
  })
})
