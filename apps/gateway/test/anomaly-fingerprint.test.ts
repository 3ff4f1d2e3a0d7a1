import { describe, expect, it } from 'vitest'
import { clientNetwork } from '../src/anomaly/client-network.js'
import { createFingerprinter } from '../src/anomaly/fingerprint.js'
import { parseConfigFile } from '../src/config/routes-file.js'
import { personalDataCodec } from '../src/privacy/personal-data.js'
import { userAgentFamily } from '../src/session/device-name.js'
import { MASTER_KEY } from './helpers.js'

describe('what the anomaly check compares', () => {
  it('the client network: /24 for IPv4, /64 for IPv6 however it is written', () => {
    expect(clientNetwork('198.51.100.7')).toBe('198.51.100.0/24')
    expect(clientNetwork('198.51.100.250')).toBe(clientNetwork('198.51.100.7'))
    expect(clientNetwork('198.51.101.7')).not.toBe(clientNetwork('198.51.100.7'))
    expect(clientNetwork('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64')
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientNetwork('2001:db8:0:1::1')).not.toBe(clientNetwork('2001:db8::1'))
    expect(clientNetwork('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
    expect(clientNetwork('unknown')).toBe('unknown')
  })

  it('the user agent family: browser and system, not the version', () => {
    const firefox = (v: number) => `Mozilla/5.0 (X11; Linux x86_64; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`
    expect(userAgentFamily(firefox(140))).toBe('Firefox|Linux')
    expect(userAgentFamily(firefox(141))).toBe(userAgentFamily(firefox(140)))
    expect(userAgentFamily('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36')).toBe('Chrome|Windows')
    expect(userAgentFamily('')).toBe('other|other')
  })

  it('keyed hashes: equal for equal input, different under another master key', () => {
    const a = createFingerprinter(personalDataCodec(MASTER_KEY))
    const b = createFingerprinter(personalDataCodec(`${MASTER_KEY}-other`))
    expect(a.networkHash('198.51.100.7')).toBe(a.networkHash('198.51.100.99'))
    expect(a.networkHash('198.51.100.7')).toMatch(/^[0-9a-f]{64}$/)
    expect(a.networkHash('198.51.100.7')).not.toBe(b.networkHash('198.51.100.7'))
    expect(a.uaFamilyHash(null)).toBe(a.uaFamilyHash(''))
  })
})

describe('the anomalies setting of GATEHOUSE_CONFIG', () => {
  const parse = (anomalies: unknown) => parseConfigFile(JSON.stringify({ routes: [], anomalies }, null, 2), 'gatehouse.json', []).anomalies

  it('defaults: user agent change revokes, network change flags, 20 refusals in 60 s revoke', () => {
    expect(parseConfigFile('{"routes":[]}', 'gatehouse.json', []).anomalies).toEqual({
      userAgentChange: 'revoke',
      networkChange: 'flag',
      forbiddenBurst: { count: 20, windowS: 60, action: 'revoke' },
    })
    expect(parse({ networkChange: 'ignore', forbiddenBurst: { count: 5 } })).toEqual({
      userAgentChange: 'revoke',
      networkChange: 'ignore',
      forbiddenBurst: { count: 5, windowS: 60, action: 'revoke' },
    })
  })

  it('refuses an unknown action or setting at start-up, naming the line', () => {
    expect(() => parse({ userAgentChange: 'block' })).toThrow(/line 4: anomalies.userAgentChange/)
    expect(() => parse({ forbiddenBurst: { count: 0 } })).toThrow(/anomalies.forbiddenBurst.count/)
    expect(() => parse({ ipChange: 'flag' })).toThrow(/anomalies.ipChange: unknown setting/)
  })
})
