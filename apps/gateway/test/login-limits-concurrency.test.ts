import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { systemClock } from '../src/clock.js'
import { createCore } from '../src/core.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import type { GatewayConfig } from '../src/config/config.js'
import { countingHasher } from './counting-hasher.js'
import { COOKIE_SECRET, cookiePair, FakeClock, MASTER_KEY, PASSWORD, tempDir, testConfig } from './helpers.js'
import { freePort, spawnTs } from './process.js'

function statusCounts(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {}
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1
  return counts
}

// A real gateway on a real SQLite file, behind a trusted proxy (127.0.0.1), so each request
// names its client address in X-Forwarded-For. Every burst is sent at once.
describe('login limits under real concurrency (one gateway, SQLite)', () => {
  const clock = new FakeClock()
  const hasher = countingHasher()
  let gw: RunningGateway
  let config: GatewayConfig

  beforeAll(async () => {
    config = { ...testConfig({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }), port: 0 }
    gw = await startGateway(config, { clock, hasher, logger: createLogger('silent') })
  })
  afterAll(() => gw?.close())

  const createUser = (username: string) =>
    createCore({ config, store: gw.store, clock, hasher }).users.create({ username, password: PASSWORD, roles: ['user'] }, { actor: 'test' })

  const login = (username: string, password: string, ip: string) =>
    fetch(`${gw.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: config.publicOrigin, 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password }),
    })

  const statuses = statusCounts

  it('100 parallel logins for one account (99 wrong, then the right one): only 5 passwords are checked', async () => {
    await createUser('alice')
    const before = hasher.checks()
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => login('alice', i === 99 ? PASSWORD : `wrong ${i}`, '198.51.100.10')))
    expect(hasher.checks() - before).toBe(5)
    const counts = statuses(responses)
    expect((counts[401] ?? 0) + (counts[200] ?? 0)).toBe(5)
    expect(counts[429]).toBe(95)
    for (const r of responses.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('300 parallel logins from one address, each for another name: only the address limit (50) is checked', async () => {
    const before = hasher.checks()
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => login(`someone${i}`, 'wrong wrong', '198.51.100.20')))
    expect(hasher.checks() - before).toBe(50)
    expect(statuses(responses)).toEqual({ 401: 50, 429: 250 })
  })

  it('100 parallel password changes with a wrong current password: only 5 are checked', async () => {
    await createUser('pat')
    const cookie = cookiePair(await login('pat', PASSWORD, '198.51.100.30'))!
    const before = hasher.checks()
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fetch(`${gw.url}/auth/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: config.publicOrigin, 'x-forwarded-for': '198.51.100.30', cookie },
          body: JSON.stringify({ currentPassword: `wrong ${i}`, newPassword: 'a brand new passphrase' }),
        }),
      ),
    )
    expect(hasher.checks() - before).toBe(5)
    expect(statuses(responses)).toEqual({ 401: 5, 429: 95 })
    for (const r of responses.filter((x) => x.status === 429)) expect(r.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('a stranger guessing from elsewhere, in parallel, does not lock the owner out', async () => {
    await createUser('owen')
    expect((await login('owen', PASSWORD, '192.0.2.1')).status).toBe(200)
    const guesses = await Promise.all(Array.from({ length: 100 }, (_, i) => login('owen', `guess ${i}`, '203.0.113.99')))
    expect(statuses(guesses)).toEqual({ 401: 5, 429: 95 })
    expect((await login('owen', PASSWORD, '192.0.2.1')).status).toBe(200)
  })

  it('a distributed attack on one account (100 addresses at once) is slowed with a growing delay; the owner still signs in from home', async () => {
    await createUser('dora')
    expect((await login('dora', PASSWORD, '192.0.2.50')).status).toBe(200)
    const before = hasher.checks()
    const guesses = await Promise.all(Array.from({ length: 100 }, (_, i) => login('dora', `guess ${i}`, `10.1.0.${i}`)))
    // The per-account threshold (20), then every other address waits.
    expect(hasher.checks() - before).toBe(20)
    expect(statuses(guesses)).toEqual({ 401: 20, 429: 80 })
    expect((await login('dora', PASSWORD, '192.0.2.50')).status).toBe(200)

    const elsewhere = await login('dora', 'guess again', '10.2.0.1')
    expect(elsewhere.status).toBe(429)
    expect(elsewhere.headers.get('retry-after')).toBe('5')
    clock.advance(5_000)
    // One attempt per delay, and each delay twice the last: slowed, never locked for long.
    const next = await Promise.all(Array.from({ length: 20 }, (_, i) => login('dora', `guess ${i}`, `10.3.0.${i}`)))
    expect(statuses(next)).toEqual({ 401: 1, 429: 19 })
    expect(next.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('10')
    expect((await login('dora', PASSWORD, '192.0.2.50')).status).toBe(200)
  })
})

// Two gateway processes on one SQLite file (as GATEHOUSE_WORKERS will run them): the audit trail
// writes one `login.failed` per password checked, so it counts the checks of both.
describe('login limits across two gateway processes on one SQLite file', () => {
  it('100 parallel logins for one account split across both: 5 passwords checked in all', async () => {
    const dir = tempDir()
    const env = {
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'shared.db')}`,
      GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET,
      GATEHOUSE_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'warn',
    }
    const config = testConfig(env, dir)
    const store = createSqliteStore({ path: join(dir, 'shared.db') })
    const erin = await createCore({ config, store, clock: systemClock, hasher: createPasswordHasher() }).users.create(
      { username: 'erin', password: PASSWORD, roles: ['user'] },
      { actor: 'test' },
    )
    const ports = [await freePort(), await freePort()]
    const procs = ports.map((port) => spawnTs('apps/gateway/src/main.ts', [], { ...env, PORT: String(port) }))
    try {
      await Promise.all(procs.map((p) => p.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)))
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(`http://127.0.0.1:${ports[i % 2]}/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: config.publicOrigin },
            body: JSON.stringify({ username: 'erin', password: i === 99 ? PASSWORD : `wrong ${i}` }),
          }),
        ),
      )
      const counts = statusCounts(responses)
      expect(counts[429]).toBe(95)
      const failed = (await store.listAudit({ userId: erin.id, type: 'login.failed' })).length
      const succeeded = (await store.listAudit({ userId: erin.id, type: 'login.succeeded' })).length
      expect(failed + succeeded).toBe(5)
      expect(failed).toBe(counts[401])
    } finally {
      for (const p of procs) p.child.kill('SIGTERM')
      await Promise.all(procs.map((p) => p.exited))
      await store.close()
    }
  }, 60_000)
})
