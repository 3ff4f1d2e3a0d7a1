import { describe, expect, it } from 'vitest'
import { createGateway } from '../src/app.js'
import { addressBucket } from '../src/auth/address-bucket.js'
import { createLogger } from '../src/logging/logger.js'
import { clientAddressHasher, personalDataCodec } from '../src/privacy/personal-data.js'
import { makeGateway, PASSWORD, testConfig } from './helpers.js'

const wrong = (username: string) => ({ body: { username, password: 'definitely wrong' } })

describe('login rate limiting', () => {
  it('answers 429 with Retry-After after 5 failures, and refuses even the right password then', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    for (let i = 0; i < 5; i++) expect((await gw.request('/auth/login', wrong('alice'))).status).toBe(401)
    const locked = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toBe('60')
    expect(await locked.json()).toMatchObject({ code: 'ERR_RATE_LIMITED', retryAfter: 60 })
    expect(locked.headers.getSetCookie()).toEqual([])

    gw.clock.advance(59_000)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).headers.get('retry-after')).toBe('1')
    gw.clock.advance(1_000)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(200)
  })

  it('backs off further on repeated failures', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    for (let i = 0; i < 5; i++) await gw.request('/auth/login', wrong('alice'))
    gw.clock.advance(60_000)
    for (let i = 0; i < 5; i++) await gw.request('/auth/login', wrong('alice'))
    expect((await gw.request('/auth/login', wrong('alice'))).headers.get('retry-after')).toBe('120')
  })

  it('limits unknown usernames exactly like real ones (no enumeration through the limiter)', async () => {
    const gw = await makeGateway()
    for (let i = 0; i < 5; i++) expect((await gw.request('/auth/login', wrong('ghost'))).status).toBe(401)
    expect((await gw.request('/auth/login', wrong('ghost'))).status).toBe(429)
  })

  it('one locked account does not lock out another user from the same address', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.createUser('bob')
    for (let i = 0; i < 6; i++) await gw.request('/auth/login', wrong('alice'))
    expect((await gw.request('/auth/login', { body: { username: 'bob', password: PASSWORD } })).status).toBe(200)
  })

  it('the address limit is much higher, and then locks everyone out from that address only', async () => {
    const gw = await makeGateway()
    await gw.createUser('bob')
    for (let i = 0; i < 50; i++) expect((await gw.request('/auth/login', wrong(`user${i}`))).status).toBe(401)
    expect((await gw.request('/auth/login', { body: { username: 'bob', password: PASSWORD } })).status).toBe(429)
    // Another address (a second gateway app on the same store sees the client as someone else).
    const other = createGateway({ config: gw.config, store: gw.store, clock: gw.clock, hasher: gw.hasher, logger: createLogger('silent'), clientIp: () => '198.51.100.9' })
    const res = await other.app.request('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: gw.config.publicOrigin },
      body: JSON.stringify({ username: 'bob', password: PASSWORD }),
    })
    expect(res.status).toBe(200)
  })

  it('survives a restart: the lockout is in the store', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    for (let i = 0; i < 5; i++) await gw.request('/auth/login', wrong('alice'))
    const again = await makeGateway({ dir: gw.config.dataDir, clock: gw.clock })
    expect((await again.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(429)
  })

  it('a success clears the account count', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    for (let i = 0; i < 4; i++) await gw.request('/auth/login', wrong('alice'))
    await gw.login('alice')
    for (let i = 0; i < 4; i++) await gw.request('/auth/login', wrong('alice'))
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(200)
  })

  it('audits failures and refusals', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    for (let i = 0; i < 6; i++) await gw.request('/auth/login', wrong('alice'))
    const types = (await gw.store.listAudit({ userId: alice.id })).map((e) => e.type)
    expect(types.filter((t) => t === 'login.failed')).toHaveLength(5)
    expect(types[0]).toBe('login.rate_limited')
  })
})

describe('login limits: configuration and bookkeeping', () => {
  it('takes its thresholds from GATEHOUSE_LOGIN_*', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_LOGIN_CLIENT_FAILURES: '3', GATEHOUSE_LOGIN_LOCKOUT: '42' } })
    await gw.createUser('alice')
    for (let i = 0; i < 3; i++) expect((await gw.request('/auth/login', wrong('alice'))).status).toBe(401)
    const locked = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(locked.status).toBe(429)
    expect(locked.headers.get('retry-after')).toBe('42')
  })

  it('refuses inconsistent thresholds at start-up, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ GATEHOUSE_LOGIN_CLIENT_FAILURES: '10', GATEHOUSE_LOGIN_ACCOUNT_FAILURES: '5' }, /^GATEHOUSE_LOGIN_ACCOUNT_FAILURES: must be at least GATEHOUSE_LOGIN_CLIENT_FAILURES/],
      [{ GATEHOUSE_LOGIN_ADDRESS_FAILURES: '2' }, /^GATEHOUSE_LOGIN_ADDRESS_FAILURES: /],
      [{ GATEHOUSE_LOGIN_LOCKOUT: '600', GATEHOUSE_LOGIN_MAX_LOCKOUT: '60' }, /^GATEHOUSE_LOGIN_MAX_LOCKOUT: /],
      [{ GATEHOUSE_LOGIN_ACCOUNT_DELAY: '60', GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY: '10' }, /^GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY: /],
      [{ GATEHOUSE_LOGIN_CLIENT_FAILURES: '0' }, /^GATEHOUSE_LOGIN_CLIENT_FAILURES: /],
      [{ GATEHOUSE_LOGIN_WINDOW: 'soon' }, /^GATEHOUSE_LOGIN_WINDOW: /],
    ]
    for (const [env, message] of cases) expect(() => testConfig(env)).toThrow(message)
  })

  it("successful logins give their attempt back: they never count towards the address's limit", async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_LOGIN_ADDRESS_FAILURES: '10' } })
    await gw.createUser('bob')
    for (let i = 0; i < 9; i++) expect((await gw.request('/auth/login', wrong(`user${i}`))).status).toBe(401)
    for (let i = 0; i < 12; i++) await gw.login('bob')
    expect((await gw.request('/auth/login', wrong('someone'))).status).toBe(401)
    expect((await gw.request('/auth/login', { body: { username: 'bob', password: PASSWORD } })).status).toBe(429)
  })

  it('a suspended account with the right password answers 403 and is not counted as a failure', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_LOGIN_CLIENT_FAILURES: '2' } })
    const sam = await gw.createUser('sam')
    await gw.core.users.suspend(sam.id, { actor: 'test' })
    for (let i = 0; i < 4; i++) expect((await gw.request('/auth/login', { body: { username: 'sam', password: PASSWORD } })).status).toBe(403)
    // The address is kept only as a keyed hash (personal data at rest).
    const where = clientAddressHasher(personalDataCodec(gw.config.masterKey))(addressBucket('203.0.113.7'))
    expect(await gw.store.getRateLimit(`client:sam|${where}`)).toMatchObject({ failures: 0, lockedUntil: null })
  })

  it('audits one refusal per lockout, however many follow', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    for (let i = 0; i < 25; i++) await gw.request('/auth/login', wrong('alice'))
    const types = (await gw.store.listAudit({ userId: alice.id })).map((e) => e.type)
    expect(types.filter((t) => t === 'login.failed')).toHaveLength(5)
    expect(types.filter((t) => t === 'login.rate_limited')).toHaveLength(1)
    gw.clock.advance(60_000)
    for (let i = 0; i < 25; i++) await gw.request('/auth/login', wrong('alice'))
    const again = (await gw.store.listAudit({ userId: alice.id })).map((e) => e.type)
    expect(again.filter((t) => t === 'login.rate_limited')).toHaveLength(2)
  })
})

describe('client address', () => {
  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const { clientAddress, parseTrustedProxies } = await import('../src/http/client-ip.js')
    const proxies = parseTrustedProxies('10.0.0.0/8, ::1')
    expect(clientAddress('203.0.113.5', '1.2.3.4', proxies)).toBe('203.0.113.5')
    expect(clientAddress('10.1.2.3', '1.2.3.4', proxies)).toBe('1.2.3.4')
    expect(clientAddress('10.1.2.3', 'spoofed-by-client, 1.2.3.4, 10.9.9.9', proxies)).toBe('1.2.3.4')
    expect(clientAddress('::ffff:10.1.2.3', '5.6.7.8', proxies)).toBe('5.6.7.8')
    expect(clientAddress('::1', undefined, proxies)).toBe('::1')
    expect(() => parseTrustedProxies('10.0.0.0/99')).toThrow(/GATEHOUSE_TRUSTED_PROXIES/)
    expect(() => parseTrustedProxies('not-an-ip')).toThrow(/GATEHOUSE_TRUSTED_PROXIES/)
  })
})
