import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose'
import type { DemoIdp } from '@gatehouse/demo-idp'
import { cookiePair, type TestGateway } from './helpers.js'
import { callback, CLIENT_SECRET, IdpBrowser, loginViaIdp, oidcGateway, startLogin, startTestIdp } from './oidc-helpers.js'

let idp: DemoIdp
beforeAll(async () => {
  idp = await startTestIdp()
})
afterAll(() => idp.close())

/** Proves the callback failed cleanly: the app is sent back with the code, no session or user exists, the failure is audited. */
async function expectRefused(gw: TestGateway, res: Response, failure: string) {
  expect(res.status).toBe(302)
  expect(res.headers.get('location')).toBe(`/?loginError=${failure}`)
  expect(cookiePair(res)).toBeUndefined()
  expect(await gw.store.countActiveSessions(gw.clock.now())).toBe(0)
  const failed = await gw.store.listAudit({ type: 'login.failed' })
  expect(failed[0]?.details).toMatchObject({ method: 'oidc', provider: 'demo', reason: failure })
}

/** A gateway whose requests to the IdP's token endpoint get their ID token rewritten: a misbehaving IdP, or someone in between. */
async function gatewayWithIdToken(rewrite: (idToken: string) => Promise<string>) {
  const tamper: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (!url.startsWith(`${idp.issuer}/token`) || res.status !== 200) return res
    const body = (await res.json()) as { id_token: string }
    body.id_token = await rewrite(body.id_token)
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  return oidcGateway(idp, { fetch: tamper })
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const idpKey = () => importJWK(idp.signingKey, 'RS256')
const resign = async (idToken: string, change: (claims: Record<string, unknown>) => Record<string, unknown>) =>
  new SignJWT(change(decodeJwt(idToken)) as never).setProtectedHeader({ alg: 'RS256', kid: decodeProtectedHeader(idToken).kid! }).sign(await idpKey())

describe('attacks on the callback: each fails cleanly, changes nothing and is audited', () => {
  it('a replayed state (the same callback twice)', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    const first = await callback(gw, back, binding)
    expect(cookiePair(first)).toBeDefined()
    await gw.request('/auth/logout', { method: 'POST', cookie: cookiePair(first)! })
    await expectRefused(gw, await callback(gw, back, binding), 'state_unknown')
  })

  it('an unknown state, and none at all', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    back.searchParams.set('state', randomBytes(32).toString('base64url'))
    await expectRefused(gw, await callback(gw, back, binding), 'state_unknown')
    back.searchParams.delete('state')
    await expectRefused(gw, await callback(gw, back, binding), 'state_missing')
  })

  it('a callback in a browser other than the one that started the login (login CSRF)', async () => {
    const gw = await oidcGateway(idp)
    const { authorizationUrl } = await startLogin(gw)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    const victim = await startLogin(gw)
    await expectRefused(gw, await callback(gw, back, victim.binding), 'browser_mismatch')
  })

  it('a replayed code, delivered with a fresh state', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    const first = await callback(gw, back, binding)
    await gw.request('/auth/logout', { method: 'POST', cookie: cookiePair(first)! })
    const fresh = await startLogin(gw, '/', binding)
    back.searchParams.set('state', new URL(fresh.authorizationUrl).searchParams.get('state')!)
    await expectRefused(gw, await callback(gw, back, binding), 'code_rejected')
  })

  it('a code injected into another login: the PKCE verifier does not match', async () => {
    const gw = await oidcGateway(idp)
    const attacker = await startLogin(gw)
    const stolen = await new IdpBrowser().authorize(attacker.authorizationUrl)
    const victim = await startLogin(gw)
    stolen.searchParams.set('state', new URL(victim.authorizationUrl).searchParams.get('state')!)
    await expectRefused(gw, await callback(gw, stolen, victim.binding), 'code_rejected')
  })

  it('a code the IdP issued to another client', async () => {
    const gw = await oidcGateway(idp)
    const verifier = randomBytes(32).toString('base64url')
    const other = new URL(`${idp.issuer}/auth`)
    other.search = new URLSearchParams({
      client_id: 'other-app',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://other-app.example/auth/oidc/demo/callback',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'theirs',
      nonce: 'theirs',
    }).toString()
    const theirs = await new IdpBrowser().authorize(other.href)
    const mine = await startLogin(gw)
    const back = new URL(`http://localhost:8080/auth/oidc/demo/callback`)
    back.search = new URLSearchParams({ code: theirs.searchParams.get('code')!, state: new URL(mine.authorizationUrl).searchParams.get('state')!, iss: idp.issuer }).toString()
    await expectRefused(gw, await callback(gw, back, mine.binding), 'code_rejected')
  })

  it('an ID token with another nonce', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const changed = new URL(authorizationUrl)
    changed.searchParams.set('nonce', 'an-attackers-nonce-0123456789abcdefghij')
    const back = await new IdpBrowser().authorize(changed.href)
    await expectRefused(gw, await callback(gw, back, binding), 'response_invalid')
  })

  const forged: [string, (idToken: string) => Promise<string>][] = [
    ['alg "none"', async (t) => `${b64({ alg: 'none', typ: 'JWT' })}.${t.split('.')[1]}.`],
    ['HS256 keyed with the client secret', async (t) =>
      new SignJWT(decodeJwt(t) as never).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET))],
    ['another audience', (t) => resign(t, (c) => ({ ...c, aud: 'someone-else' }))],
    ['another issuer', (t) => resign(t, (c) => ({ ...c, iss: 'https://evil.example' }))],
    ['an expired one', (t) => resign(t, (c) => ({ ...c, iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 }))],
    ['a changed subject (signature broken)', async (t) => {
      const [h, , s] = t.split('.')
      return `${h}.${b64({ ...decodeJwt(t), sub: 'someone-else' })}.${s}`
    }],
  ]
  it.each(forged)('an ID token with %s', async (_name, rewrite) => {
    const gw = await gatewayWithIdToken(rewrite)
    const { res } = await loginViaIdp(gw)
    await expectRefused(gw, res, 'response_invalid')
    expect(await gw.store.listUsers()).toEqual([])
  })

  it('the same flow untouched by the rewriting proxy succeeds (the harness itself is sound)', async () => {
    const gw = await gatewayWithIdToken(async (t) => t)
    const { res } = await loginViaIdp(gw)
    expect(cookiePair(res)).toBeDefined()
  })

  it('IdP mix-up: a response naming another issuer (RFC 9207)', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const back = await new IdpBrowser().authorize(authorizationUrl)
    expect(back.searchParams.get('iss')).toBe(idp.issuer)
    back.searchParams.set('iss', 'https://evil.example')
    await expectRefused(gw, await callback(gw, back, binding), 'response_invalid')
  })

  it('IdP mix-up: a login started for one provider, answered at another provider’s callback', async () => {
    const provider = { issuer: idp.issuer, clientId: 'gatehouse-demo', clientSecretEnv: 'DEMO_SECRET', createUsers: true }
    const gw = await oidcGateway(idp, { config: { providers: [{ name: 'other', ...provider }, { name: 'demo', ...provider }] } })
    const res = await gw.request('/auth/oidc/other/login')
    const binding = cookiePair(res) ?? res.headers.getSetCookie()[0]!.split(';')[0]!
    const toIdp = new URL(res.headers.get('location')!)
    toIdp.searchParams.set('redirect_uri', 'http://localhost:8080/auth/oidc/demo/callback')
    const back = await new IdpBrowser().authorize(toIdp.href)
    await expectRefused(gw, await callback(gw, back, binding), 'provider_mismatch')
  })

  it('an error from the IdP', async () => {
    const gw = await oidcGateway(idp)
    const { binding, authorizationUrl } = await startLogin(gw)
    const state = new URL(authorizationUrl).searchParams.get('state')!
    const back = new URL(`http://localhost:8080/auth/oidc/demo/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(idp.issuer)}`)
    await expectRefused(gw, await callback(gw, back, binding), 'idp_error')
  })
})
