import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '@gatehouse/store'
import { newUser, T0 } from '@gatehouse/store/conformance'
import { createPostgresStore, POSTGRES_MIGRATIONS } from '../src/index.js'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const pg = await postgresForTests('store-postgres migrations')

async function withClient<T>(url: string, f: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

const sqlState = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: { code?: string }) => error.code,
  )

describe.skipIf(pg.cluster === undefined)(`Postgres migrations and schema${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const cluster = pg.cluster!
  const database = emptyDatabase(cluster, 'schema')
  afterAll(async () => {
    await database.close()
    await cluster.stop()
  })

  it('eight gateways opening one empty database at once migrate it exactly once', async () => {
    const url = await cluster.createDatabase('concurrent_opens')
    const stores = await Promise.all(Array.from({ length: 8 }, () => createPostgresStore({ url })))
    try {
      const journal = JSON.parse(readFileSync(join(POSTGRES_MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
      const applied = await withClient(url, (c) => c.query('select hash from drizzle.__drizzle_migrations'))
      expect(applied.rowCount).toBe(journal.entries.length)
      const user = await stores[3]!.createUser(newUser())
      expect(await stores[6]!.findUserById(user.id)).toEqual(user)
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  it('the audit trail refuses UPDATE, DELETE and TRUNCATE, whoever asks', async () => {
    const url = await database.reset()
    const store = await createPostgresStore({ url })
    try {
      await store.appendAudit({ type: 'login.succeeded', at: T0, userId: 'u1' })
      await store.appendAudit({ type: 'logout', at: T0 + 1, userId: 'u1' })
      await withClient(url, async (c) => {
        // P0001: raised by the trigger function.
        expect(await sqlState(c.query(`update audit_events set type = 'forged' where seq = 1`))).toBe('P0001')
        expect(await sqlState(c.query('delete from audit_events where seq = 2'))).toBe('P0001')
        expect(await sqlState(c.query('truncate audit_events'))).toBe('P0001')
        expect(await sqlState(c.query(`insert into audit_events (seq, type, at, details, prev_hash, hash) values (3, 'x', 0, '{}', '', '')`))).toBe('no error')
      })
      // The insert went in (appending stays possible) but does not chain: verify names it.
      expect(await verifyAuditChain((after, limit) => store.auditPage(after, limit))).toMatchObject({ ok: false, brokenAt: 3 })
      expect((await store.auditPage(0, 10)).slice(0, 2).map((e) => e.type)).toEqual(['login.succeeded', 'logout'])
    } finally {
      await store.close()
    }
  })

  it('a second current signing key is refused by the schema itself', async () => {
    const url = await database.reset()
    await withClient(url, async (c) => {
      const insert = (kid: string) =>
        c.query(`insert into signing_keys (kid, alg, public_jwk, private_key_enc, created_at) values ($1, 'EdDSA', '{}', 'x', 0)`, [kid])
      await insert('k1')
      expect(await sqlState(insert('k2'))).toBe('23505')
    })
  })

  it('query failures come out as ERR_STORE_UNAVAILABLE with neither SQL nor values in them', async () => {
    // migrate: false on an empty database: every table is missing.
    const store = await createPostgresStore({ url: await cluster.createDatabase('unmigrated'), migrate: false })
    try {
      const error = await store.findSession('secret-session-id').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
      const text = `${(error as Error).message} ${String((error as Error).cause ?? '')}`
      expect(text).toContain('42P01') // undefined_table: the SQLSTATE is kept for the operator
      expect(text).not.toMatch(/select|secret-session-id/i)
    } finally {
      await store.close()
    }
  })

  it('an unreachable server fails the open with ERR_STORE_UNAVAILABLE', async () => {
    const url = cluster.url('postgres').replace(/:(\d+)\//, ':1/')
    await expect(createPostgresStore({ url, connectTimeoutMs: 2_000 })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
  })

  it('ping answers, and close ends every connection of the store (pool and listener)', async () => {
    const url = await database.reset()
    const store = await createPostgresStore({ url })
    store.revocations.onRevoked(() => {})
    await store.revocations.ready()
    await store.ping()
    const datname = new URL(url).pathname.slice(1)
    const count = () =>
      withClient(cluster.url('postgres'), async (c) => Number((await c.query(`select count(*) from pg_stat_activity where datname = $1 and application_name like 'gatehouse%'`, [datname])).rows[0].count))
    expect(await count()).toBeGreaterThanOrEqual(2)
    await store.close()
    // Backends exit just after their client hangs up; wait for that, bounded.
    const deadline = Date.now() + 5_000
    let left = await count()
    while (left > 0 && Date.now() < deadline) left = await count()
    expect(left).toBe(0)
    await expect(store.ping()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
  })
})
