import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER, type DemoIdp } from '@gatehouse/demo-idp'
import { cookiePair } from './helpers.js'
import { BOB, callback, IdpBrowser, loginViaIdp, oidcGateway, startLogin, startTestIdp } from './oidc-helpers.js'

let idp: DemoIdp
beforeAll(async () => {
  idp = await startTestIdp()
})
afterAll(() => idp.close())

describe('sign in with the IdP', () => {
  it('redirects to the IdP with code flow, PKCE S256, state and nonce', async () => {
    const gw = await oidcGateway(idp)
    const { authorizationUrl, binding } = await startLogin(gw)
    const url = new URL(authorizationUrl)
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/auth`)
    const p = url.searchParams
    expect(p.get('response_type')).toBe('code')
    expect(p.get('client_id')).toBe('gatehouse-demo')
    expect(p.get('redirect_uri')).toBe('http://localhost:8080/auth/oidc/demo/callback')
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(32)
    expect(p.get('nonce')!.length).toBeGreaterThanOrEqual(32)
    expect(p.get('scope')).toBe('openid profile email')
    expect(binding).toMatch(/^gatehouse-oidc=[A-Za-z0-9_-]{43}$/)
  })

  it('creates the user on first login and a normal session; the next login finds the same user', async () => {
    const gw = await oidcGateway(idp)
    const { res, session } = await loginViaIdp(gw, DEMO_USER, '/orders?tab=open')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/orders?tab=open')
    expect(session).toMatch(/^gatehouse=/)
    const me = await gw.request('/auth/session', { cookie: session! })
    expect(me.status).toBe(200)
    const body = (await me.json()) as { user: { id: string; username: string; roles: string[] }; session: { provider: string | null } }
    expect(body.user).toMatchObject({ username: 'ada', roles: ['user'] })
    expect(body.session.provider).toBe('demo')
    // Nothing of the IdP's tokens reaches the browser.
    expect(JSON.stringify(body)).not.toMatch(/eyJ/)
    expect(res.headers.getSetCookie().join('\n')).not.toMatch(/eyJ/)

    const again = await loginViaIdp(gw)
    const second = (await (await gw.request('/auth/session', { cookie: again.session! })).json()) as typeof body
    expect(second.user.id).toBe(body.user.id)
    expect(await gw.store.listIdentities(body.user.id)).toEqual([
      expect.objectContaining({ issuer: idp.issuer, subject: DEMO_USER.sub, provider: 'demo' }),
    ])
    const types = (await gw.store.listAudit({ userId: body.user.id })).map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['user.created', 'identity.linked', 'session.created', 'login.succeeded']))
  })

  it('keeps the IdP tokens encrypted at rest, bound to the session, and out of the logs', async () => {
    const gw = await oidcGateway(idp)
    const { session } = await loginViaIdp(gw)
    const [current] = await gw.store.listActiveSessions((await gw.store.findUserByUsername('ada'))!.id, gw.clock.now())
    const record = (await gw.store.findIdpSession(current!.id))!
    expect(record.tokensEnc).toMatch(/^v1\./)
    expect(record.tokensEnc).not.toMatch(/eyJ/)
    expect(record.idpSid).toEqual(expect.any(String))
    expect(gw.logs.text()).not.toMatch(/eyJ|access_token|refresh_token/)
    expect(session).toBeDefined()
  })

  it('a password session names no provider; a password login still works beside the IdP', async () => {
    const gw = await oidcGateway(idp)
    await gw.createUser('carol')
    const cookie = await gw.login('carol')
    const body = (await (await gw.request('/auth/session', { cookie })).json()) as { session: { provider: string | null } }
    expect(body.session.provider).toBeNull()
    expect((await gw.request('/auth/logout', { method: 'POST', cookie })).status).toBe(204)
  })

  it('never merges an IdP user into a local user of the same name', async () => {
    const gw = await oidcGateway(idp)
    const local = await gw.createUser('ada', { roles: ['admin'] })
    const { session } = await loginViaIdp(gw)
    const body = (await (await gw.request('/auth/session', { cookie: session! })).json()) as { user: { id: string; username: string; roles: string[] } }
    expect(body.user.id).not.toBe(local.id)
    expect(body.user.roles).toEqual(['user'])
    expect(body.user.username).toMatch(/^ada@idp\.example$/)
  })

  it('takes roles from the configured claim', async () => {
    const gw = await oidcGateway(idp, { provider: { rolesClaim: 'roles', scopes: ['openid', 'profile', 'roles'] } })
    const { session } = await loginViaIdp(gw, BOB)
    const body = (await (await gw.request('/auth/session', { cookie: session! })).json()) as { user: { roles: string[] } }
    expect(body.user.roles).toEqual(['auditor', 'user'])
  })

  it('with createUsers false, an identity nobody linked cannot log in', async () => {
    const gw = await oidcGateway(idp, { provider: { createUsers: false } })
    const { res, session } = await loginViaIdp(gw)
    expect(res.headers.get('location')).toBe('/?loginError=not_linked')
    expect(session).toBeUndefined()
    expect(await gw.store.listUsers()).toEqual([])
  })

  it('refuses a suspended user', async () => {
    const gw = await oidcGateway(idp)
    await loginViaIdp(gw)
    const user = (await gw.store.findUserByUsername('ada'))!
    await gw.core.users.suspend(user.id, { actor: 'test' })
    const { res, session } = await loginViaIdp(gw)
    expect(res.headers.get('location')).toBe('/?loginError=suspended')
    expect(session).toBeUndefined()
  })

  it('answers 404 for an unknown provider', async () => {
    const gw = await oidcGateway(idp)
    expect((await gw.request('/auth/oidc/nope/login')).status).toBe(404)
    expect((await gw.request('/auth/oidc/nope/callback?state=x')).status).toBe(404)
  })

  it('a login replaces the session this browser held', async () => {
    const gw = await oidcGateway(idp)
    await gw.createUser('carol')
    const old = await gw.login('carol')
    const { binding, authorizationUrl } = await startLogin(gw, '/', old)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    const res = await callback(gw, back, `${binding}; ${old}`)
    expect(cookiePair(res)).toMatch(/^gatehouse=/)
    expect((await gw.request('/auth/session', { cookie: old })).status).toBe(401)
  })
})

describe('returnTo accepts only a same-origin path', () => {
  const cases: [string, string][] = [
    ['/orders/7?x=1#top', '/orders/7?x=1#top'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/%2F%2Fevil.example', '/'],
    ['/%5Cevil.example', '/'],
    ['%2F%2Fevil.example', '/'],
    ['/%252F%252Fevil.example', '/'],
    ['/\tevil', '/'],
    ['', '/'],
  ]
  it.each(cases)('%j -> %j', async (returnTo, expected) => {
    const gw = await oidcGateway(idp)
    const { res } = await loginViaIdp(gw, DEMO_USER, returnTo)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(expected)
  })
})
