import { describe, expect, it } from 'vitest'
import { addressBucket } from '../src/auth/address-bucket.js'
import { makeGateway, PASSWORD } from './helpers.js'
import { createGateway } from '../src/app.js'
import { createLogger } from '../src/logging/logger.js'

describe('the address a login is counted under', () => {
  it('is an IPv4 address itself, and the /64 of an IPv6 address', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7')
    expect(addressBucket('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressBucket('2001:DB8:1:2::ffff')).toBe('2001:db8:1:2::/64')
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressBucket('::1')).toBe('0:0:0:0::/64')
    expect(addressBucket('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressBucket('unknown')).toBe('unknown')
  })

  it('so a guesser hopping between the addresses of one IPv6 network is locked out of all of them', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    let n = 0
    const hopping = createGateway({
      config: gw.config,
      store: gw.store,
      clock: gw.clock,
      hasher: gw.hasher,
      logger: createLogger('silent'),
      clientIp: () => `2001:db8:aa:bb::${(n++).toString(16)}`,
    })
    const attempt = (password: string) =>
      hopping.app.request('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: gw.config.publicOrigin },
        body: JSON.stringify({ username: 'alice', password }),
      })
    for (let i = 0; i < 5; i++) expect((await attempt('wrong wrong')).status).toBe(401)
    expect((await attempt(PASSWORD)).status).toBe(429)
  })
})
