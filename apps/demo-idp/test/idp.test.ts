import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER, demoClient, startDemoIdp, type DemoIdp } from '../src/index.js'

let idp: DemoIdp
beforeAll(async () => {
  idp = await startDemoIdp({ clients: [demoClient('http://localhost:8080', 'secret-0123456789-abcdefghijklmnop')], users: [DEMO_USER] })
})
afterAll(() => idp.close())

async function toLoginPage(): Promise<{ url: string; cookie: string }> {
  const params = new URLSearchParams({
    client_id: 'gatehouse-demo',
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: 'http://localhost:8080/auth/oidc/demo/callback',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 's',
    nonce: 'n',
  })
  const res = await fetch(`${idp.issuer}/auth?${params}`, { redirect: 'manual' })
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { url: new URL(res.headers.get('location')!, idp.issuer).href, cookie }
}

describe('the demo IdP', () => {
  it('publishes its discovery document with back-channel logout, revocation and end session', async () => {
    const doc = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      backchannel_logout_supported: true,
      end_session_endpoint: `${idp.issuer}/session/end`,
      revocation_endpoint: `${idp.issuer}/token/revocation`,
      authorization_response_iss_parameter_supported: true,
    })
  })

  it('shows its own login page, refuses a wrong password, and sends the right one back with a code', async () => {
    const { url, cookie } = await toLoginPage()
    const page = await fetch(url, { headers: { cookie } })
    expect(await page.text()).toContain('<h1>Demo IdP</h1>')
    const post = (password: string) =>
      fetch(`${url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: DEMO_USER.username, password }),
      })
    const wrong = await post('not-the-password')
    expect(wrong.status).toBe(200)
    expect(await wrong.text()).toContain('Wrong username or password')
    const right = await post(DEMO_USER.password)
    expect(right.status).toBe(303)
    let location = new URL(right.headers.get('location')!, idp.issuer).href
    const jar = [cookie, ...right.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ')
    const resumed = await fetch(location, { redirect: 'manual', headers: { cookie: jar } })
    location = resumed.headers.get('location')!
    expect(location).toMatch(/^http:\/\/localhost:8080\/auth\/oidc\/demo\/callback\?code=/)
  })
})
