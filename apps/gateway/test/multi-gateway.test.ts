import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import { createPasswordHasher } from '../src/auth/passwords.js'
import type { GatewayConfig } from '../src/config/config.js'
import { createCore } from '../src/core.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { countingHasher } from './counting-hasher.js'
import { cookiePair, FakeClock, PASSWORD, testConfig } from './helpers.js'

const pg = await postgresForTests('gateway multi-gateway')

const ROTATE_EVERY_S = 300

// Two gateway servers on one Postgres, as behind a load balancer: whatever one does, the other
// sees on the very next request.
describe.skipIf(pg.cluster === undefined)(`two gateways on one Postgres${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const clock = new FakeClock()
  let a: RunningGateway
  let b: RunningGateway
  let config: GatewayConfig
  // Shared by both gateways: counts every password check either makes.
  const hasher = countingHasher()

  beforeAll(async () => {
    const url = await pg.cluster!.createDatabase('gateways')
    const env = { GATEHOUSE_ROTATE_EVERY: String(ROTATE_EVERY_S), GATEHOUSE_ROTATE_GRACE: '30', GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }
    config = { ...testConfig(env), database: { kind: 'postgres', url }, port: 0 }
    const logger = createLogger('silent')
    // Started together on an empty database: both migrate it and race for the first signing key.
    ;[a, b] = await Promise.all([startGateway(config, { clock, logger, hasher }), startGateway(config, { clock, logger, hasher })])
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
    await pg.cluster?.stop()
  })

  const createUser = (username: string) =>
    createCore({ config, store: a.store, clock, hasher: createPasswordHasher() }).users.create({ username, password: PASSWORD, roles: ['user'] }, { actor: 'test' })

  const call = (gw: RunningGateway, path: string, init: { method?: string; cookie?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' }
    if (init.cookie) headers.cookie = init.cookie
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    if (method !== 'GET') headers.origin = config.publicOrigin
    return fetch(`${gw.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  }

  const login = async (gw: RunningGateway, username: string) => {
    const res = await call(gw, '/auth/login', { body: { username, password: PASSWORD } })
    expect(res.status).toBe(200)
    return cookiePair(res)!
  }

  it('a session made on A works on B; a logout on B is refused by A at once', async () => {
    await createUser('alice')
    const cookie = await login(a, 'alice')
    const onA = await call(a, '/auth/session', { cookie })
    const onB = await call(b, '/auth/session', { cookie })
    expect(onB.status).toBe(200)
    expect(((await onB.json()) as { session: { id: string } }).session.id).toBe(((await onA.json()) as { session: { id: string } }).session.id)

    expect((await call(b, '/auth/logout', { method: 'POST', cookie })).status).toBe(204)
    expect((await call(a, '/auth/session', { cookie })).status).toBe(401)
  })

  it("a revocation on B reaches A's in-memory caches through LISTEN/NOTIFY, and the CLI's too", async () => {
    const bob = await createUser('bobby')
    const cookie = await login(a, 'bobby')
    expect((await call(a, '/auth/session', { cookie })).status).toBe(200)
    const value = cookie.slice(cookie.indexOf('=') + 1)
    expect(a.gateway.core.sessions.isCached(value)).toBe(true)
    expect((await call(b, '/auth/sessions', { method: 'DELETE', cookie })).status).toBe(204)
    await expect.poll(() => a.gateway.core.sessions.isCached(value)).toBe(false)

    // A revocation by another process on the same store (as `pnpm gatehouse sessions revoke` is).
    const again = await login(a, 'bobby')
    await call(a, '/auth/session', { cookie: again })
    const againValue = again.slice(again.indexOf('=') + 1)
    expect(a.gateway.core.sessions.isCached(againValue)).toBe(true)
    const { createPostgresStore } = await import('@gatehouse/store-postgres')
    const cliStore = await createPostgresStore({ url: (config.database as { url: string }).url, migrate: false })
    try {
      await createCore({ config, store: cliStore, clock, hasher: createPasswordHasher() }).sessions.revokeAllOfUser(bob.id, 'admin_revoked', {})
    } finally {
      await cliStore.close()
    }
    await expect.poll(() => a.gateway.core.sessions.isCached(againValue)).toBe(false)
    expect((await call(a, '/auth/session', { cookie: again })).status).toBe(401)
  })

  it('50 parallel requests split across A and B over a rotation all pass, and exactly one rotates', async () => {
    await createUser('bob')
    const cookie = await login(a, 'bob')
    clock.advance(ROTATE_EVERY_S * 1000)
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 2 === 0 ? a : b, '/auth/session', { cookie })))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    const rotated = responses.map((r) => cookiePair(r)).filter((c): c is string => c !== undefined)
    expect(rotated).toHaveLength(1)
    // Still logged in, on both, with the new cookie; the old one is still inside its grace window.
    for (const gw of [a, b]) {
      expect((await call(gw, '/auth/session', { cookie: rotated[0] })).status).toBe(200)
      expect((await call(gw, '/auth/session', { cookie })).status).toBe(200)
    }
  })

  it('five wrong passwords through A lock the account on B too', async () => {
    await createUser('carol')
    for (let i = 0; i < 5; i++) {
      expect((await call(a, '/auth/login', { body: { username: 'carol', password: 'definitely wrong' } })).status).toBe(401)
    }
    const locked = await call(b, '/auth/login', { body: { username: 'carol', password: PASSWORD } })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  const loginFrom = (gw: RunningGateway, username: string, password: string, ip: string) =>
    fetch(`${gw.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: config.publicOrigin, 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password }),
    })

  it('100 parallel logins for one account split across A and B: 5 passwords checked in all', async () => {
    await createUser('dave')
    const before = hasher.checks()
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => loginFrom(i % 2 ? a : b, 'dave', i === 99 ? PASSWORD : `wrong ${i}`, '198.51.100.40')),
    )
    expect(hasher.checks() - before).toBe(5)
    expect(responses.filter((r) => r.status === 429)).toHaveLength(95)
    for (const r of responses.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('300 parallel logins from one address across A and B: the address limit (50) holds', async () => {
    const before = hasher.checks()
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => loginFrom(i % 2 ? a : b, `nobody${i}`, 'wrong wrong', '198.51.100.41')))
    expect(hasher.checks() - before).toBe(50)
    expect(responses.filter((r) => r.status === 401)).toHaveLength(50)
  })

  it('100 admin revocations of one user\'s sessions split across A and B at once: all answered 204, each session revoked once', async () => {
    const dana = await createUser('dana')
    await createCore({ config, store: a.store, clock, hasher: createPasswordHasher() }).users.create(
      { username: 'root', password: PASSWORD, roles: ['admin'] },
      { actor: 'test' },
    )
    const admin = await login(b, 'root')
    const cookies: string[] = []
    for (let i = 0; i < 10; i++) cookies.push(await login(i % 2 === 0 ? a : b, 'dana'))
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => call(i % 2 === 0 ? a : b, `/admin/users/${dana.id}/sessions`, { method: 'DELETE', cookie: admin })),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(204))
    for (const cookie of cookies) expect((await call(a, '/auth/session', { cookie })).status).toBe(401)
    const revoked = await a.store.listAudit({ userId: dana.id, type: 'session.revoked' })
    expect(revoked.filter((e) => e.details.reason === 'admin_revoked')).toHaveLength(10)
  })
})
