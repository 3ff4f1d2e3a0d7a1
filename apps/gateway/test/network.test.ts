import { describe, expect, it } from 'vitest'
import { networkOf } from '../src/http/network.js'
import { makeGateway, PASSWORD } from './helpers.js'

describe('the network shown for a device', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['::ffff:198.51.100.23', '198.51.100.0/24'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::/48'],
    ['2001:0DB8:0001:0002::1', '2001:db8:1::/48'],
    ['::1', '0:0:0::/48'],
    ['cli', 'cli'],
  ])('%s is shown as %s, never the whole address', (address, network) => {
    expect(networkOf(address)).toBe(network)
  })
})

describe('GET /auth/sessions tells two devices of the same name apart', () => {
  it('each has its network and a short id, the first 8 characters of its id', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'
    const login = () => gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD }, headers: { 'user-agent': ua } })
    const first = (await login()).headers.getSetCookie()[0]!.split(';')[0]!
    gw.clock.advance(1000)
    await login()
    // The same browser: another user agent family would be an anomaly that ends the session.
    const { sessions } = await (await gw.request('/auth/sessions', { cookie: first, headers: { 'user-agent': ua } })).json()
    expect(sessions).toHaveLength(2)
    expect(sessions[0].deviceName).toBe(sessions[1].deviceName)
    for (const s of sessions) {
      expect(s.network).toBe('203.0.113.0/24')
      expect(s.shortId).toBe(s.id.slice(0, 8))
    }
    expect(sessions[0].shortId).not.toBe(sessions[1].shortId)
  })
})
