import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

describe('cross-site state changes are refused and change nothing', () => {
  const attacks: [string, Record<string, string>][] = [
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['Origin: null (sandboxed frame, data: URL)', { origin: 'null' }],
    ['the right host on another scheme', { origin: 'https://localhost:8080' }],
    ['the right host on another port', { origin: 'http://localhost:8081' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: cross-site with a correct Origin', { origin: 'http://localhost:8080', 'sec-fetch-site': 'cross-site' }],
  ]

  it.each(attacks)('login with %s: 403, no session created', async (_, headers) => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD }, headers })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'ERR_CROSS_SITE', status: 403 })
    expect(res.headers.getSetCookie()).toEqual([])
    expect(await gw.store.listActiveSessions(alice.id, gw.clock.now())).toEqual([])
  })

  it.each(attacks)('logout with %s: 403, the session lives on', async (_, headers) => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const res = await gw.request('/auth/logout', { method: 'POST', cookie, headers })
    expect(res.status).toBe(403)
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
  })

  it('a browser request without Origin but with Sec-Fetch-Site other than same-origin is refused', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const res = await gw.app.request('/auth/logout', { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-site' } })
    expect(res.status).toBe(403)
  })

  it('accepts same-origin requests, and GETs from anywhere are not state changes', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const get = await gw.request('/auth/session', { cookie, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })
    expect(get.status).toBe(200)
    const logout = await gw.request('/auth/logout', { method: 'POST', cookie, headers: { 'sec-fetch-site': 'same-origin' } })
    expect(logout.status).toBe(204)
  })
})
