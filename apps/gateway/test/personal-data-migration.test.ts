import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres'
import { migrate as pgMigrate } from 'drizzle-orm/node-postgres/migrator'
import { migrate as sqliteMigrate } from 'drizzle-orm/better-sqlite3/migrator'
import { Client } from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { AUDIT_GENESIS, legacyAuditHash, type AuditEvent, type Store } from '@gatehouse/store'
import { POSTGRES_MIGRATIONS } from '@gatehouse/store-postgres'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import { openSqlite, SQLITE_MIGRATIONS } from '@gatehouse/store-sqlite'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { runCli } from '../src/cli/run.js'
import { createCore } from '../src/core.js'
import type { GatewayConfig } from '../src/config/config.js'
import { openStore } from '../src/open-store.js'
import { cliIo, tempDir, testConfig } from './helpers.js'
import { expectNoneIn, PROBE_DEVICE, PROBE_IP, PROBE_UA, sqliteBytes } from './personal-data-helpers.js'

const pg = await postgresForTests('personal data migration')
afterAll(() => pg.cluster?.stop())

/** The committed migrations from before personal data was encrypted (a database of the previous version). */
function migrationsBefore(folder: string): string {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }
  const cut = journal.entries.findIndex((e) => e.tag.endsWith('_personal_data'))
  expect(cut).toBeGreaterThan(0)
  const out = tempDir('gatehouse-old-migrations-')
  mkdirSync(join(out, 'meta'))
  const entries = journal.entries.slice(0, cut)
  for (const e of entries) cpSync(join(folder, `${e.tag}.sql`), join(out, `${e.tag}.sql`))
  writeFileSync(join(out, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }))
  return out
}

type Exec = (sql: string, params: unknown[]) => Promise<void>
const T = Date.UTC(2026, 10, 1)

/** What the previous version wrote: a user, a session and a hash-chained audit trail, all in clear. */
async function seedLegacy(exec: Exec, options: { tamperAt?: number } = {}) {
  await exec('INSERT INTO users (id, username, password_hash, roles, password_changed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    'u1', 'alice', '$argon2id$fake', '["user"]', T, T, T,
  ])
  await exec(
    `INSERT INTO sessions (id, user_id, credential_hash, credential_rotated_at, device_name, user_agent, client_ip, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ['s1', 'u1', 'f'.repeat(64), T, PROBE_DEVICE, PROBE_UA, PROBE_IP, T, T, T + 3_600_000, T + 86_400_000],
  )
  await exec('INSERT INTO rate_limits (key, window_start, failures, lockouts, updated_at) VALUES (?, ?, ?, ?, ?)', [`ip:${PROBE_IP}`, T, 1, 0, T])
  const events = [
    { type: 'user.created', userId: 'u1', sessionId: null, clientIp: 'cli', userAgent: 'gatehouse-cli', details: { by: 'cli:root', roles: ['user'] } },
    { type: 'session.created', userId: 'u1', sessionId: 's1', clientIp: PROBE_IP, userAgent: PROBE_UA, details: { deviceName: PROBE_DEVICE } },
    { type: 'keys.rotated', userId: null, sessionId: null, clientIp: null, userAgent: null, details: { kid: 'k1' } },
    { type: 'login.succeeded', userId: 'u1', sessionId: 's1', clientIp: PROBE_IP, userAgent: PROBE_UA, details: {} },
  ]
  let prev = AUDIT_GENESIS
  for (const [i, e] of events.entries()) {
    const seq = i + 1
    const at = T + seq
    const hash = legacyAuditHash(prev, seq, { ...e, at })
    const details = options.tamperAt === seq ? { ...e.details, edited: true } : e.details
    await exec('INSERT INTO audit_events (seq, type, at, user_id, session_id, client_ip, user_agent, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      seq, e.type, at, e.userId, e.sessionId, e.clientIp, e.userAgent, JSON.stringify(details), prev, hash,
    ])
    prev = hash
  }
}

async function allEvents(store: Store): Promise<AuditEvent[]> {
  return store.auditPage(0, 1000)
}

interface Dialect {
  name: string
  skip?: string | undefined
  /** A fresh database of this version. */
  fresh(): Promise<GatewayConfig>
  /** A database of the previous version with the legacy rows in it; the config to open it with. */
  legacy(options?: { tamperAt?: number }): Promise<GatewayConfig>
  /** Every byte an attacker with a dump (Postgres) or the file (SQLite) would read. */
  bytes(config: GatewayConfig): Promise<Buffer>
}

let databases = 0
const DIALECTS: Dialect[] = [
  {
    name: 'SQLite',
    async fresh() {
      return testConfig({}, tempDir('gatehouse-fresh-'))
    },
    async legacy(options) {
      const config = testConfig({}, tempDir('gatehouse-legacy-'))
      const { db, client } = openSqlite((config.database as { path: string }).path)
      sqliteMigrate(db, { migrationsFolder: migrationsBefore(SQLITE_MIGRATIONS) })
      await seedLegacy(async (sql, params) => void client.prepare(sql).run(...params), options)
      client.close()
      return config
    },
    async bytes(config) {
      return sqliteBytes((config.database as { path: string }).path)
    },
  },
  {
    name: 'Postgres',
    skip: pg.skipReason,
    async fresh() {
      const url = await pg.cluster!.createDatabase(`fresh_${++databases}`)
      return { ...testConfig({}, tempDir('gatehouse-fresh-')), database: { kind: 'postgres', url } }
    },
    async legacy(options) {
      const url = await pg.cluster!.createDatabase(`legacy_${++databases}`)
      const client = new Client({ connectionString: url })
      await client.connect()
      try {
        await pgMigrate(pgDrizzle({ client }), { migrationsFolder: migrationsBefore(POSTGRES_MIGRATIONS) })
        await seedLegacy(async (sql, params) => {
          let n = 0
          await client.query(sql.replace(/\?/g, () => `$${++n}`), params)
        }, options)
      } finally {
        await client.end()
      }
      return { ...testConfig({}, tempDir('gatehouse-legacy-')), database: { kind: 'postgres', url } }
    },
    async bytes(config) {
      const { stdout } = await promisify(execFile)(join(pg.cluster!.bindir, 'pg_dump'), ['--dbname', (config.database as { url: string }).url], {
        maxBuffer: 64 * 1024 * 1024,
      })
      expect(stdout).toContain('COPY public.audit_events') // the dump holds the data, not just the schema
      return Buffer.from(stdout, 'utf8')
    },
  },
]

describe.each(DIALECTS)('migrating an existing $name database to sealed personal data', (dialect) => {
  it.skipIf(dialect.skip !== undefined)('seals sessions and audit events, re-links the chain, drops clear address buckets; idempotent', async () => {
    const config = await dialect.legacy()
    expect((await dialect.bytes(config)).includes(Buffer.from(PROBE_DEVICE))).toBe(true) // the probe is there before

    const store = await openStore(config)
    let before: AuditEvent[]
    try {
      const session = await store.findSession('s1')
      expect(session).toMatchObject({ deviceName: PROBE_DEVICE, userAgent: PROBE_UA, clientIp: PROBE_IP, uaFamilyHash: null, networkHash: null })
      const [created] = await store.listAudit({ type: 'session.created' })
      // The device name moved out of `details` into its own sealed field.
      expect(created).toMatchObject({ clientIp: PROBE_IP, userAgent: PROBE_UA, deviceName: PROBE_DEVICE, details: {} })
      expect(await store.getRateLimit(`ip:${PROBE_IP}`)).toBeNull()
      before = await allEvents(store)
      expect(before.map((e) => e.type)).toEqual(['user.created', 'session.created', 'keys.rotated', 'login.succeeded'])
      for (const e of before.filter((x) => x.clientIp !== null)) expect(e.clientIp).toMatch(/^pii1\./)
    } finally {
      await store.close()
    }

    const { io, out } = cliIo(config.dataDir, { env: dialect.name === 'Postgres' ? { DATABASE_URL: (config.database as { url: string }).url } : {} })
    expect(await runCli(['audit', 'verify'], io)).toBe(0)
    expect(out.join()).toMatch(/intact: 4 events/)

    expectNoneIn(await dialect.bytes(config), [PROBE_IP, PROBE_UA, PROBE_DEVICE])

    // Opening again changes nothing.
    const again = await openStore(config)
    try {
      expect(await allEvents(again)).toEqual(before)
    } finally {
      await again.close()
    }
  })

  it.skipIf(dialect.skip !== undefined)('a database in use: sessions, audit events and rate limits hold no address, user agent or device name in clear', async () => {
    const config = await dialect.fresh()
    const store = await openStore(config)
    try {
      const core = createCore({ config, store, clock: { now: () => T }, hasher: createPasswordHasher() })
      const user = await core.users.create({ username: 'alice', password: 'correct horse battery staple', roles: ['user'] }, { actor: 'test' })
      const origin = { clientIp: PROBE_IP, userAgent: PROBE_UA }
      const { session } = await core.sessions.start(user, { deviceName: PROBE_DEVICE, ...origin })
      // A reserved attempt stands as a failure, and writes the rate-limit rows keyed by the address.
      await core.loginLimiter.reserve({ account: 'alice', clientIp: PROBE_IP })
      await core.sessions.revoke(session.id, 'logout', { userId: user.id, ...origin })
      expect(await store.findSession(session.id)).toMatchObject({ deviceName: PROBE_DEVICE, ...origin })
    } finally {
      await store.close()
    }
    expectNoneIn(await dialect.bytes(config), [PROBE_IP, PROBE_UA, PROBE_DEVICE])
  })

  it.skipIf(dialect.skip !== undefined)('refuses to re-link a chain that was already broken, naming the event', async () => {
    const config = await dialect.legacy({ tamperAt: 3 })
    await expect(openStore(config)).rejects.toMatchObject({ code: 'ERR_STORE_MIGRATION', message: expect.stringMatching(/event #3/) })
  })
})
