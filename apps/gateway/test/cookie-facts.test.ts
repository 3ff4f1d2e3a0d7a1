import { describe, expect, it } from 'vitest'
import { makeGateway } from './helpers.js'

describe('GET /auth/cookie: the session cookie as set, for the demo\'s "under the hood" view', () => {
  it('lists the attributes the login really set, and the sealed value\'s size, never the value', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const login = await gw.request('/auth/login', { body: { username: 'alice', password: 'correct horse battery staple' } })
    const setCookie = login.headers.getSetCookie()[0]!
    const [pair, ...set] = setCookie.split('; ')
    const cookie = pair!
    const res = await gw.request('/auth/cookie', { cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const facts = await res.json()
    expect(facts).toMatchObject({ name: 'gatehouse', sent: true, valueBytes: cookie.length - 'gatehouse='.length })
    expect(facts.attributes).toEqual(set.filter((p) => !p.startsWith('Max-Age=')))
    expect(facts.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'Path=/', 'SameSite=Lax']))
    expect(JSON.stringify(facts)).not.toContain(cookie.slice('gatehouse='.length))
  })

  it('with an https origin: the __Host- name and Secure', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_PUBLIC_ORIGIN: 'https://app.example.com' } })
    const facts = await (await gw.request('/auth/cookie')).json()
    expect(facts).toMatchObject({ name: '__Host-gatehouse', sent: false, valueBytes: 0 })
    expect(facts.attributes).toContain('Secure')
  })
})
