import { Client, Pool } from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { newSession, newUser, T0 } from '@gatehouse/store/conformance'
import { createPostgresStore, type PostgresStore } from '../src/index.js'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const pg = await postgresForTests('store-postgres session cache')

describe.skipIf(pg.cluster === undefined)(`the session cache under a lease${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const database = emptyDatabase(pg.cluster!, 'cache')
  let url: string
  let admin: Client
  const open: PostgresStore[] = []
  const store = async (options: Parameters<typeof createPostgresStore>[0] extends infer O ? Omit<O, 'url'> : never = {}) => {
    const s = await createPostgresStore({ url, migrate: false, ...options })
    open.push(s)
    return s
  }
  const trusted = (s: PostgresStore) => expect.poll(() => s.sessionCache?.trusted(), { timeout: 10_000, interval: 10 }).toBe(true)
  /** The backend pids of the listeners on this database now. */
  const listenerPids = async () =>
    (await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = 'gatehouse-revocations' and datname = current_database()`)).rows.map((r) => r.pid)

  beforeEach(async () => {
    url = await database.reset()
    admin = new Client({ connectionString: url })
    await admin.connect()
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await Promise.all(open.splice(0).map((s) => s.close()))
    await admin.end()
  })
  afterAll(async () => {
    await database.close()
    await pg.cluster?.stop()
  })

  async function seeded(s: PostgresStore) {
    const user = await s.createUser(newUser())
    const session = newSession(user.id)
    await s.createSession(session)
    return { user, session }
  }

  it('a trusted hit makes no query at all; a lookup while untrusted reads the database and caches nothing', async () => {
    const a = await store({ sessionCache: { leaseMs: 3000 } })
    const { session } = await seeded(a)
    await trusted(a)
    await a.findSessionWithUser(session.id) // the miss that fills it
    const queries = vi.spyOn(Pool.prototype, 'query')
    for (let i = 0; i < 100; i++) expect((await a.findSessionWithUser(session.id))?.session.id).toBe(session.id)
    expect(queries).not.toHaveBeenCalled()

    const off = await store({ sessionCache: false })
    for (let i = 0; i < 3; i++) await off.findSessionWithUser(session.id)
    expect(queries).toHaveBeenCalledTimes(3)
  })

  it('cached objects are frozen: a caller cannot change what the next request reads', async () => {
    const a = await store()
    const { session } = await seeded(a)
    await trusted(a)
    await a.findSessionWithUser(session.id)
    const hit = (await a.findSessionWithUser(session.id))!
    expect(() => {
      ;(hit.session as { revokedAt: number | null }).revokedAt = 1
    }).toThrow(TypeError)
    expect(() => (hit.user.roles as string[]).push('admin')).toThrow(TypeError)
  })

  it('200 times: a revocation on B returns only once A dropped the session, so A refuses it on the very next lookup', async () => {
    const a = await store()
    const b = await store()
    await Promise.all([trusted(a), trusted(b)])
    const user = await a.createUser(newUser())
    for (let i = 0; i < 200; i++) {
      const s = newSession(user.id, { id: `s-${i}` })
      await a.createSession(s)
      expect((await a.findSessionWithUser(s.id))?.session.revokedAt).toBeNull()
      expect((await a.findSessionWithUser(s.id))?.session.revokedAt).toBeNull() // from memory
      await b.revokeSession(s.id, 'admin_revoked', T0 + i)
      expect((await a.findSessionWithUser(s.id))?.session.revokedReason).toBe('admin_revoked')
    }
  })

  it("B's role change, suspension, rotation, expiry and deletion are all seen by A's next lookup", async () => {
    const a = await store()
    const b = await store()
    await Promise.all([trusted(a), trusted(b)])
    const { user, session } = await seeded(a)
    const warm = () => a.findSessionWithUser(session.id).then(() => a.findSessionWithUser(session.id))

    await warm()
    await b.updateUser(user.id, { roles: ['auditor'] }, T0 + 1)
    expect((await a.findSessionWithUser(session.id))?.user.roles).toEqual(['auditor'])

    await warm()
    await b.updateUser(user.id, { suspendedAt: T0 + 2 }, T0 + 2)
    expect((await a.findSessionWithUser(session.id))?.user.suspendedAt).toBe(T0 + 2)

    await warm()
    const rotation = { expectedHash: session.credentialHash, newHash: 'rotated-on-b', now: T0 + 3, previousCredentials: [{ hash: session.credentialHash, rotatedAt: T0 + 3 }] }
    expect(await b.rotateSessionCredential(session.id, rotation)).toBe(true)
    expect((await a.findSessionWithUser(session.id))?.session.credentialHash).toBe('rotated-on-b')

    await warm()
    await b.setSessionFingerprint(session.id, { uaFamilyHash: 'ua-b', networkHash: 'net-b' })
    expect((await a.findSessionWithUser(session.id))?.session).toMatchObject({ uaFamilyHash: 'ua-b', networkHash: 'net-b' })

    await warm()
    expect((await b.expireSessions(session.absoluteExpiresAt)).map((s) => s.id)).toEqual([session.id])
    expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('expired')

    await warm()
    expect(await b.deleteUser(user.id)).toBe(true)
    expect(await a.findSessionWithUser(session.id)).toBeNull()
  })

  it('a writer without a cache or lease (the CLI) still waits for A: A refuses at once', async () => {
    const a = await store()
    await trusted(a)
    const cli = await store({ sessionCache: false })
    const { user, session } = await seeded(a)
    await a.findSessionWithUser(session.id)
    expect(await cli.revokeUserSessions(user.id, 'admin_revoked', T0 + 1)).toEqual([session.id])
    expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('admin_revoked')
    // It holds no lease row: nobody waits for a process that caches nothing.
    expect((await admin.query('select count(*)::int as n from gateway_leases')).rows[0].n).toBe(1)
  })

  it('a dead gateway (its lease row left behind, nobody acking) delays a revocation until its lease ran out, no longer', async () => {
    const b = await store()
    const { session } = await seeded(b)
    await admin.query(`insert into gateway_leases values ('dead-gateway', now(), now() + interval '1500 milliseconds')`)
    await b.revokeSession(session.id, 'logout', T0 + 1)
    // It returned only once the dead lease had expired, by the database's clock.
    expect((await admin.query(`select expires_at <= now() as gone from gateway_leases where gateway_id = 'dead-gateway'`)).rows[0].gone).toBe(true)
    // A lease already expired delays nothing (the revocation returns; nothing to assert on time).
    const other = newSession(session.userId, { id: 'second' })
    await b.createSession(other)
    await b.revokeSession(other.id, 'logout', T0 + 2)
  })

  it("A's listener cut: B's revocation still returns (after A's lease at most), A refuses it, and A trusts again only after catching up", async () => {
    const a = await store()
    await trusted(a)
    const [aListener] = await listenerPids()
    const b = await store()
    await trusted(b)
    const { session } = await seeded(a)
    await a.findSessionWithUser(session.id)
    await a.findSessionWithUser(session.id)

    await admin.query('select pg_terminate_backend($1)', [aListener])
    // Whether or not A has noticed yet: B waits for its ack or its lease, and A's trust ends before that lease does.
    await b.revokeSession(session.id, 'admin_revoked', T0 + 1)
    expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('admin_revoked')
    // Back: a new listener, a renewal come back over it, and an emptied cache.
    await trusted(a)
    expect((await listenerPids()).length).toBe(2)
    expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('admin_revoked')
  })

  it('a lease it cannot renew (its row locked, the connection alive) stops the cache; lookups read the database; trust returns after', async () => {
    const a = await store({ sessionCache: { leaseMs: 1500 } })
    const { session } = await seeded(a)
    await trusted(a)
    await a.findSessionWithUser(session.id)
    const locker = new Client({ connectionString: url })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('select * from gateway_leases for update')
      await expect.poll(() => a.sessionCache?.trusted(), { timeout: 10_000, interval: 20 }).toBe(false)
      // Fails closed: every lookup is a query now, correct and slower.
      const queries = vi.spyOn(Pool.prototype, 'query')
      for (let i = 0; i < 3; i++) expect((await a.findSessionWithUser(session.id))?.session.id).toBe(session.id)
      expect(queries).toHaveBeenCalledTimes(3)
      // A revocation by a process that holds no lease: it counts on A's lease being over.
      const cli = await store({ sessionCache: false })
      await cli.revokeSession(session.id, 'admin_revoked', T0 + 1)
      expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('admin_revoked')
    } finally {
      await locker.query('rollback')
      await locker.end()
    }
    await trusted(a)
    expect((await a.findSessionWithUser(session.id))?.session.revokedReason).toBe('admin_revoked')
  })
})
