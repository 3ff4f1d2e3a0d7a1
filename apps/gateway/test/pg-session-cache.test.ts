import { Client } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { User } from '@gatehouse/store'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import type { PostgresStore } from '@gatehouse/store-postgres'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { systemClock } from '../src/clock.js'
import type { GatewayConfig } from '../src/config/config.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { COOKIE_SECRET, cookiePair, FakeClock, MASTER_KEY, tempDir, testConfig, USER_AGENT } from './helpers.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort, REPO_ROOT } from './process.js'

const pg = await postgresForTests('gateway session cache on Postgres')

const ROTATE_EVERY_S = 300
const DEVICE = { deviceName: 'Laptop', clientIp: '203.0.113.9', userAgent: USER_AGENT }

/**
 * A gateway process that IS the node process (no tsx wrapper in between, which would take
 * SIGSTOP and SIGKILL for itself and leave the gateway running): node with tsx's loader.
 */
async function spawnGatewayProcess(env: Record<string, string>): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'apps/gateway/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let out = ''
  child.stderr!.on('data', (d) => (out += String(d)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start: ${out}`)), 60_000)
    child.stdout!.on('data', (d) => {
      out += String(d)
      if (/listening on http:\/\/127\.0\.0\.1:\d+/.test(out)) {
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then(() => reject(new Error(`the gateway exited: ${out}`)))
  })
  return { child, exited }
}

/** Polls until `check` holds (beforeAll cannot use expect.poll). */
async function until(check: () => boolean | undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** "name=value" of a Set-Cookie header. */
const pairOf = (setCookie: string) => setCookie.split(';')[0]!

const get = (url: string, path: string, cookie: string) => fetch(`${url}${path}`, { headers: { cookie, 'user-agent': USER_AGENT } })
const del = (url: string, path: string, cookie: string, origin: string) =>
  fetch(`${url}${path}`, { method: 'DELETE', headers: { cookie, origin, 'user-agent': USER_AGENT } })

/** The pids of the revocation listeners connected to this database now. */
async function listenerPids(url: string): Promise<number[]> {
  const admin = new Client({ connectionString: url })
  await admin.connect()
  try {
    const { rows } = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = 'gatehouse-revocations' and datname = current_database()`)
    return rows.map((r) => r.pid)
  } finally {
    await admin.end()
  }
}

async function sql<R extends Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const admin = new Client({ connectionString: url })
  await admin.connect()
  try {
    return (await admin.query<R>(text, values)).rows
  } finally {
    await admin.end()
  }
}

describe.skipIf(pg.cluster === undefined)(`two gateways on one Postgres, each serving sessions from memory${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const clock = new FakeClock()
  let a: RunningGateway
  let b: RunningGateway
  let config: GatewayConfig
  let url: string
  let user: User

  beforeAll(async () => {
    url = await pg.cluster!.createDatabase('cache')
    const env = { GATEHOUSE_ROTATE_EVERY: String(ROTATE_EVERY_S), GATEHOUSE_ROTATE_GRACE: '30' }
    config = { ...testConfig(env), database: { kind: 'postgres', url }, port: 0 }
    const logger = createLogger('silent')
    a = await startGateway(config, { clock, logger })
    b = await startGateway(config, { clock, logger })
    await until(() => (a.store as PostgresStore).sessionCache?.trusted() && (b.store as PostgresStore).sessionCache?.trusted())
    user = await a.gateway.core.users.create({ username: 'alice', password: 'correct horse battery staple', roles: ['user'] }, { actor: 'test' })
  })
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()])
  })

  const newCookie = async () => pairOf((await a.gateway.core.sessions.start(user, DEVICE)).setCookie)

  it('1,000 times back to back: a session used on A, logged out on B (204), is refused by A on the next request', async () => {
    let leaks = 0
    for (let i = 0; i < 1000; i++) {
      const cookie = await newCookie()
      expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
      expect((await get(a.url, '/auth/session', cookie)).status).toBe(200) // now from A's memory
      expect((await del(b.url, '/auth/sessions', cookie, config.publicOrigin)).status).toBe(204)
      if ((await get(a.url, '/auth/session', cookie)).status !== 401) leaks++
    }
    expect(leaks).toBe(0)
  }, 300_000)

  it("A's notification connection cut again and again mid-run: zero leaks, B's logouts still answered, A trusts its cache again after", async () => {
    await expect.poll(() => (a.store as PostgresStore).sessionCache?.trusted(), { timeout: 10_000 }).toBe(true)
    // B's listener is the one that stays: A's is every other one.
    const before = await listenerPids(url)
    expect(before).toHaveLength(2)
    const bListener = (await sql<{ pid: number }>(url, `select pid from pg_stat_activity where application_name = 'gatehouse-revocations' and pid = any($1) order by backend_start desc limit 1`, [before]))[0]!.pid
    let leaks = 0
    let cuts = 0
    for (let i = 0; i < 60; i++) {
      const cookie = await newCookie()
      expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
      expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
      if (i % 10 === 5) {
        const aListener = (await listenerPids(url)).filter((pid) => pid !== bListener)
        if (aListener.length > 0) {
          await sql(url, 'select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [aListener])
          cuts++
        }
      }
      expect((await del(b.url, '/auth/sessions', cookie, config.publicOrigin)).status).toBe(204)
      if ((await get(a.url, '/auth/session', cookie)).status !== 401) leaks++
    }
    expect(cuts).toBe(6)
    expect(leaks).toBe(0)
    await expect.poll(() => (a.store as PostgresStore).sessionCache?.trusted(), { timeout: 10_000 }).toBe(true)
  }, 120_000)

  it('a role change or a suspension through B is refused by A on the next request', async () => {
    const bob = await b.gateway.core.users.create({ username: 'bob', password: 'correct horse battery staple', roles: ['user', 'editor'] }, { actor: 'test' })
    const start = async () => pairOf((await a.gateway.core.sessions.start(bob, DEVICE)).setCookie)
    let cookie = await start()
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    await b.gateway.core.users.setRoles(bob.id, ['user'], { actor: 'test' })
    const afterRoles = await get(a.url, '/auth/session', cookie)
    expect(afterRoles.status).toBe(401)

    cookie = await start()
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    await b.gateway.core.users.suspend(bob.id, { actor: 'test' })
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(401)
  })

  it('a rotation on B, then the new cookie on A: accepted, not taken for reuse; the old one too, within its grace', async () => {
    const cookie = await newCookie()
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    clock.advance(ROTATE_EVERY_S * 1000)
    const onB = await get(b.url, '/auth/session', cookie)
    expect(onB.status).toBe(200)
    const rotated = cookiePair(onB)
    expect(rotated).toBeDefined()
    expect((await get(a.url, '/auth/session', rotated!)).status).toBe(200)
    expect((await get(a.url, '/auth/session', cookie)).status).toBe(200)
    expect((await get(b.url, '/auth/session', rotated!)).status).toBe(200)
  })
})

describe.skipIf(pg.cluster === undefined)(`a gateway process paused or killed while another revokes${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  let url: string
  let b: RunningGateway
  let config: GatewayConfig
  let user: User
  let env: Record<string, string>

  beforeAll(async () => {
    url = await pg.cluster!.createDatabase('paused')
    const dir = tempDir()
    env = { GATEHOUSE_DATA_DIR: dir, DATABASE_URL: url, GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET, GATEHOUSE_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'warn' }
    config = { ...testConfig(env, dir), port: 0 }
    b = await startGateway(config, { clock: systemClock, logger: createLogger('silent') })
    user = await b.gateway.core.users.create({ username: 'carol', password: 'correct horse battery staple', roles: ['user'] }, { actor: 'test' })
  })
  afterAll(async () => {
    await b?.close()
    await pg.cluster?.stop()
  })

  async function spawnGateway() {
    const port = await freePort()
    const proc = await spawnGatewayProcess({ ...env, PORT: String(port) })
    return { proc, url: `http://127.0.0.1:${port}` }
  }
  const liveLeases = async () => Number((await sql<{ n: number }>(url, 'select count(*)::int as n from gateway_leases where expires_at > now()'))[0]!.n)

  it('SIGSTOP on A while B revokes: the revocation returns once A\'s lease ran out; after SIGCONT, A refuses the cookie', async () => {
    const { proc, url: aUrl } = await spawnGateway()
    try {
      const cookie = pairOf((await b.gateway.core.sessions.start(user, DEVICE)).setCookie)
      // A serves it from memory once its lease is trusted; two requests make sure it is cached.
      await expect.poll(async () => (await get(aUrl, '/auth/session', cookie)).status, { timeout: 10_000 }).toBe(200)
      await expect.poll(liveLeases, { timeout: 10_000 }).toBe(2)
      expect((await get(aUrl, '/auth/session', cookie)).status).toBe(200)

      proc.child.kill('SIGSTOP')
      expect((await del(b.url, '/auth/sessions', cookie, config.publicOrigin)).status).toBe(204)
      // It waited for A's lease (A could not answer): only B's is live when it returned.
      expect(await liveLeases()).toBe(1)
      proc.child.kill('SIGCONT')
      expect((await get(aUrl, '/auth/session', cookie)).status).toBe(401)
    } finally {
      proc.child.kill('SIGCONT')
      proc.child.kill('SIGTERM')
      await proc.exited
    }
  }, 120_000)

  it('a gateway killed with SIGKILL (its lease row left) delays a revocation by at most its lease', async () => {
    const { proc, url: aUrl } = await spawnGateway()
    const cookie = pairOf((await b.gateway.core.sessions.start(user, DEVICE)).setCookie)
    try {
      await expect.poll(async () => (await get(aUrl, '/auth/session', cookie)).status, { timeout: 10_000 }).toBe(200)
      await expect.poll(liveLeases, { timeout: 10_000 }).toBe(2)
    } finally {
      proc.child.kill('SIGKILL')
      await proc.exited
    }
    expect((await del(b.url, '/auth/sessions', cookie, config.publicOrigin)).status).toBe(204)
    expect(await liveLeases()).toBe(1)
    // The dead gateway's row is still there (only expired): it was waited out, not cleaned up.
    expect(Number((await sql<{ n: number }>(url, 'select count(*)::int as n from gateway_leases'))[0]!.n)).toBeGreaterThanOrEqual(2)
    expect((await get(b.url, '/auth/session', cookie)).status).toBe(401)
  }, 120_000)
})
