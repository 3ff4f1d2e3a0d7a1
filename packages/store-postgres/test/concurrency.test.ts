import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyAuditChain, type RateLimitPolicy, type RefreshTokenRenewalResult } from '@gatehouse/store'
import { newSession, newSigningKey, newUser, T0 } from '@gatehouse/store/conformance'
import { Client } from 'pg'
import { createPostgresStore, type PostgresStore } from '../src/index.js'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const pg = await postgresForTests('store-postgres concurrency')
const hash = () => randomBytes(32).toString('hex')

// Two stores with two pools on one database: two gateways. Each race is split between them.
describe.skipIf(pg.cluster === undefined)(`two gateways on one Postgres${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const database = emptyDatabase(pg.cluster!, 'concurrency')
  let a: PostgresStore
  let b: PostgresStore
  let url: string
  const either = (i: number) => (i % 2 === 0 ? a : b)
  beforeEach(async () => {
    url = await database.reset()
    ;[a, b] = await Promise.all([createPostgresStore({ url }), createPostgresStore({ url })])
  })
  afterEach(async () => {
    await Promise.all([a.close(), b.close()])
  })
  afterAll(async () => {
    await database.close()
    await pg.cluster?.stop()
  })

  it('credential rotation: exactly one of 40 racers on two gateways wins', async () => {
    const user = await a.createUser(newUser())
    const s = newSession(user.id)
    await a.createSession(s)
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => either(i).rotateSessionCredential(s.id, {
          expectedHash: s.credentialHash,
          newHash: `new-${i}`,
          now: T0 + 1,
          previousCredentials: [{ hash: s.credentialHash, rotatedAt: T0 + 1 }],
        })),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await b.findSession(s.id)).toMatchObject({ credentialHash: `new-${results.indexOf(true)}`, previousCredentials: [{ hash: s.credentialHash, rotatedAt: T0 + 1 }] })
  })

  it('revocation: of two gateways revoking one session, one gets it', async () => {
    const user = await a.createUser(newUser())
    const s = newSession(user.id)
    await a.createSession(s)
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).revokeSession(s.id, i % 2 ? 'logout' : 'reuse_detected', T0 + i)))
    expect(results.filter((r) => r !== null)).toHaveLength(1)
  })

  it('revocation feed: a reader following the cursor while two gateways revoke misses no entry', async () => {
    // Sessions of one big user (revoked in one long statement) and of many small ones (one row
    // each): with a plain sequence, short transactions would commit higher seqs before the long
    // one's lower seqs became visible, and a cursor past them would skip those for good.
    const big = await a.createUser(newUser())
    const bigSessions = Array.from({ length: 300 }, () => newSession(big.id))
    for (const x of bigSessions) await a.createSession(x)
    const small = await Promise.all(Array.from({ length: 60 }, () => a.createUser(newUser())))
    const smallSessions = small.map((u) => newSession(u.id))
    for (const x of smallSessions) await a.createSession(x)

    const seen = new Set<string>()
    let cursor = 0
    let writing = true
    const reader = (async () => {
      for (;;) {
        const done = !writing
        const { entries, head } = await b.listRevocations({ after: cursor, endedSince: 0, limit: 50 })
        for (const e of entries) {
          expect(e.seq).toBeGreaterThan(cursor)
          seen.add(e.sessionId)
          cursor = e.seq
        }
        if (entries.length < 50) cursor = Math.max(cursor, head)
        if (done && entries.length < 50) return
      }
    })()
    await Promise.all([
      a.revokeUserSessions(big.id, 'suspended', T0 + 1),
      ...smallSessions.map((x, i) => either(i).revokeSession(x.id, 'logout', T0 + 2)),
    ])
    writing = false
    await reader
    expect(seen.size).toBe(bigSessions.length + smallSessions.length)
  })

  it('refresh renewal: exactly one of 50 renewals on two gateways consumes the token', async () => {
    const user = await a.createUser(newUser())
    const s = newSession(user.id)
    await a.createSession(s)
    const h0 = hash()
    await a.startRefreshChain({ sessionId: s.id, tokenHash: h0, now: T0 })
    const results: RefreshTokenRenewalResult[] = await Promise.all(
      Array.from({ length: 50 }, (_, i) => either(i).renewRefreshToken({ sessionId: s.id, presentedHash: h0, successorHash: hash(), now: T0 + 1 })),
    )
    const winners = results.flatMap((r) => (r.outcome === 'renewed' ? [r.successor] : []))
    expect(winners).toHaveLength(1)
    const losers = results.filter((r) => r.outcome !== 'renewed')
    expect(losers.every((r) => r.outcome === 'consumed' && r.token.replacedBy === winners[0]!.tokenHash)).toBe(true)
    expect(await b.findCurrentRefreshToken(s.id)).toEqual(winners[0])
  })

  it('refresh chain start: of racers on two gateways exactly one inserts', async () => {
    const user = await a.createUser(newUser())
    const s = newSession(user.id)
    await a.createSession(s)
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => either(i).startRefreshChain({ sessionId: s.id, tokenHash: hash(), now: T0 })))
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('renewed chain start: of racers on two gateways exactly one starts it, every other answers its row', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await a.createUser(newUser())
      const s = newSession(user.id)
      await a.createSession(s)
      const [h0, h1] = [hash(), hash()]
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => either(i).startRenewedRefreshChain({ sessionId: s.id, firstHash: h0, successorHash: h1, now: T0 })),
      )
      const successor = { tokenHash: h1, sessionId: s.id, generation: 1, createdAt: T0, consumedAt: null, replacedBy: null }
      expect(results.filter((r) => r.started)).toEqual([{ started: true, successor }])
      for (const r of results) if (!r.started) expect(r).toEqual({ started: false, current: successor })
    }
  })

  it('a session lookup\'s note of the chain\'s current row is that gateway\'s own (see the conformance suite)', async () => {
    const user = await a.createUser(newUser())
    const s = newSession(user.id)
    await a.createSession(s)
    const start = (store: typeof a) => store.startRenewedRefreshChain({ sessionId: s.id, firstHash: hash(), successorHash: hash(), now: T0 })
    const started = await start(a)
    const current = started.started ? started.successor : undefined
    await a.findSessionWithUser(s.id, { fresh: true })
    expect(await start(b)).toEqual({ started: false, current })
    expect(await start(a)).toEqual({ started: false, current, recent: true })
  })

  it('rate limits: of 60 reservations on two gateways, exactly the limit are allowed, the first insert raced too', async () => {
    const client: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 5, baseLockMs: 60_000, maxLockMs: 3_600_000, forgetAfterMs: 86_400_000 }
    const address = { ...client, maxFailures: 1000 }
    const reqs = [
      { key: 'client:alice|198.51.100.1', policy: client },
      { key: 'ip:198.51.100.1', policy: address },
    ]
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => either(i).reserveAttempt(reqs, T0)))
    expect(results.filter((r) => r.allowed)).toHaveLength(5)
    expect(await b.getRateLimit('client:alice|198.51.100.1')).toMatchObject({ lockouts: 1, failures: 5, lockedUntil: T0 + 60_000, refused: 1 })
    expect((await a.getRateLimit('ip:198.51.100.1'))?.failures).toBe(5)
  })

  it('rate limits: reservations and clears racing on two gateways neither deadlock nor fail', async () => {
    const policy: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 1000, baseLockMs: 60_000, maxLockMs: 3_600_000, forgetAfterMs: 86_400_000 }
    const keys = ['account:zed', 'client:zed|1', 'ip:1']
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? either(i).clearRateLimit(keys[i % 2]!)
          : either(i).reserveAttempt((i % 2 ? keys : [...keys].reverse()).map((key) => ({ key, policy })), T0),
      ),
    )
    expect((await a.getRateLimit('ip:1'))?.failures).toBe(40)
  })

  it('audit: 100 parallel appends split across both gateways form one verifiable chain', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => either(i).appendAudit({ type: 'test.parallel', at: T0 + i, details: { i } })))
    for (const store of [a, b]) {
      expect(await verifyAuditChain((after, limit) => store.auditPage(after, limit), 13)).toEqual({ ok: true, checked: 100 })
    }
    const details = (await a.auditPage(0, 200)).map((e) => e.details.i as number)
    expect(details.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('signing keys: one first key of racers on two gateways; concurrent rotations lose none', async () => {
    const first = await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).addFirstSigningKey(newSigningKey({ createdAt: T0 + i }))))
    expect(first.filter(Boolean)).toHaveLength(1)
    const retired = await Promise.all(
      Array.from({ length: 20 }, (_, i) => either(i).rotateSigningKey(newSigningKey({ createdAt: T0 + 100 + i }), { at: T0 + 200, publishUntil: T0 + 1000 })),
    )
    const keys = await b.listPublishedSigningKeys(T0 + 200)
    expect(keys).toHaveLength(21)
    expect(keys.filter((k) => k.retiredAt === null)).toHaveLength(1)
    const flat = retired.flat()
    expect(flat).toHaveLength(20)
    expect(new Set(flat).size).toBe(20)
  })

  it('revoking every session of one user: 200 calls on two gateways at once, none fails, each session revoked once', async () => {
    const user = await a.createUser(newUser())
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const s = newSession(user.id)
      await either(i).createSession(s)
      ids.push(s.id)
    }
    // Touches and expiry sweeps run meanwhile, as live traffic and prune would.
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 10 === 0
          ? either(i).touchSession(ids[i % ids.length]!, T0 + 2, T0 + 60_000).then(() => [] as string[])
          : i % 10 === 1
            ? either(i).expireSessions(T0 + 1).then((rows) => rows.map((r) => r.id))
            : either(i).revokeUserSessions(user.id, 'logout', T0 + 1, i % 3 === 0 ? { exceptSessionId: ids[0]! } : {}),
      ),
    )
    const revoked = results.flat()
    expect([...revoked].sort()).toEqual([...ids].sort())
    expect(await a.listActiveSessions(user.id, T0 + 1)).toEqual([])
  })

  it('a deadlock that Postgres breaks by aborting the store is retried, not surfaced', async () => {
    const user = await a.createUser(newUser())
    const first = newSession(user.id, { id: 'a-first' })
    const second = newSession(user.id, { id: 'b-second' })
    await a.createSession(first)
    await a.createSession(second)
    const other = new Client({ connectionString: url })
    const watch = new Client({ connectionString: url })
    await Promise.all([other.connect(), watch.connect()])
    try {
      // Another writer holds the second row, and will detect deadlocks last: the store's
      // statement is the one Postgres aborts (40P01).
      await other.query(`set deadlock_timeout = '30s'`)
      await other.query('begin')
      await other.query(`update sessions set last_seen_at = last_seen_at + 1 where id = 'b-second'`)
      const revoking = a.revokeUserSessions(user.id, 'logout', T0 + 1)
      // The store has locked the first row and waits for the second...
      for (let i = 0; ; i++) {
        const { rows } = await watch.query(`select count(*)::int as n from pg_stat_activity where application_name = 'gatehouse' and wait_event_type = 'Lock'`)
        if (rows[0].n > 0) break
        if (i > 500) throw new Error('the store never waited for the lock')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      // ...and now the other writer waits for the first: a cycle.
      const closing = other.query(`update sessions set last_seen_at = last_seen_at + 1 where id = 'a-first'`).then(() => other.query('commit'))
      const [ids] = await Promise.all([revoking, closing])
      expect([...ids].sort()).toEqual(['a-first', 'b-second'])
    } finally {
      await Promise.all([other.end(), watch.end()])
    }
  })
})
