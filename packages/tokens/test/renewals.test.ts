import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Store } from '@gatehouse/store'
import { newSession, newUser, T0 } from '@gatehouse/store/conformance'
import { createPostgresStore } from '@gatehouse/store-postgres'
import { createSqliteStore, openSqlite } from '@gatehouse/store-sqlite'
import { afterAll, describe, expect, it } from 'vitest'
// The store package's throwaway cluster: a real Postgres for the two-gateway races.
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import {
  createKeyManager,
  createMasterKeyCipher,
  createRefreshChain,
  createTokenIssuer,
  KEEP_AT_MOST,
  KEEP_LAST,
  RACE_WINDOW_MS,
  type AuditEntry,
  type TokenIssuer,
  type TokenSubject,
} from '../src/index.js'
import { Clock, closedAfterEach } from './test-fixtures.js'

const MASTER_KEY = 'test-master-key-0123456789-abcdefghijklmn'
const TTL_S = 300
const TTL_MS = TTL_S * 1000

const keep = closedAfterEach()

/** A real SQLite file; `again` opens a second store on it, as a second gateway would. */
async function sqliteFile() {
  const path = join(mkdtempSync(join(tmpdir(), 'gh-renewals-')), 'test.db')
  const open = async () => keep(await createSqliteStore({ path }))
  return { path, store: await open(), again: open }
}

interface Issuer {
  tokens: TokenIssuer
  audits: { type: string; entry: AuditEntry }[]
  calls: Record<string, number>
}

/** An issuer as the gateway builds it, on a real store (its refresh-token calls counted). */
async function issuerOn(store: Store, clock: Clock, options: { random?: () => number; masterKey?: string } = {}): Promise<Issuer> {
  const cipher = createMasterKeyCipher(options.masterKey ?? MASTER_KEY)
  const keys = createKeyManager({ store, clock, cipher, alg: 'EdDSA', accessTtlS: TTL_S })
  await keys.init()
  const calls: Record<string, number> = {}
  const counted = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (typeof prop !== 'string' || !/RefreshToken|RefreshChain/.test(prop) || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  const audits: Issuer['audits'] = []
  const tokens: TokenIssuer = createTokenIssuer({
    store: counted,
    keys,
    cipher,
    clock,
    issuer: 'https://app.example.com',
    accessTtlS: TTL_S,
    ...(options.random ? { random: options.random } : {}),
    audit: async (type, entry) => {
      audits.push({ type, entry })
    },
    revokeSession: async ({ sessionId }) => {
      await store.revokeSession(sessionId, 'reuse_detected', clock.now())
      tokens.forgetSessions([sessionId])
    },
  })
  return { tokens, audits, calls }
}

async function liveSubject(store: Store, clock: Clock): Promise<TokenSubject> {
  const user = await store.createUser(newUser())
  const session = newSession(user.id, { createdAt: clock.now(), lastSeenAt: clock.now(), idleExpiresAt: clock.now() + 30 * 86_400_000 })
  await store.createSession(session)
  return { sessionId: session.id, userId: user.id, roles: ['user'] }
}

function rowsOf(path: string, sessionId: string) {
  const { client } = openSqlite(path)
  try {
    return client.prepare('select generation, consumed_at from refresh_tokens where session_id = ? order by generation').all(sessionId) as {
      generation: number
      consumed_at: number | null
    }[]
  } finally {
    client.close()
  }
}

/** Two issuers (two gateways) on one store mint for one session in parallel, in rounds. */
async function parallelMintsOnTwoIssuers(store: Store, other: Store) {
  const clock = new Clock()
  const issuers = [await issuerOn(store, clock), await issuerOn(other, clock)]
  const subject = await liveSubject(store, clock)
  for (let round = 0; round < 6; round++) {
    const minted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => issuers[i % 2]!.tokens.tokenFor(subject, i % 3 === 0 ? 'profile' : 'orders', { fresh: i % 4 !== 0 })),
    )
    expect(minted.every((t) => typeof t === 'string' && t.length > 0)).toBe(true)
    // Some rounds within the race window of the last, some far beyond it (stale memories).
    clock.advance(round % 2 === 0 ? 1000 : 5 * 60_000)
  }
  expect(await store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
  expect(issuers.flatMap((x) => x.audits).filter((x) => x.type === 'refresh_token.reuse_detected')).toEqual([])
}

describe('spread renewals (jitter)', () => {
  it('each token renews at its own point, between 40% and 20% of its life left, drawn per mint', async () => {
    const { store } = await sqliteFile()
    const clock = new Clock()
    const draws = [0, 0.5, 0.999_999]
    const { tokens } = await issuerOn(store, clock, { random: () => draws.shift() ?? 0 })
    const subjects = [await liveSubject(store, clock), await liveSubject(store, clock), await liveSubject(store, clock)]
    const first: string[] = []
    for (const s of subjects) first.push(await tokens.tokenFor(s, 'orders')) // one draw each, in order
    const renewedAt: (number | undefined)[] = [undefined, undefined, undefined]
    for (let elapsed = 0; elapsed <= TTL_MS; elapsed += 500) {
      for (const [i, s] of subjects.entries()) {
        if (renewedAt[i] === undefined && (await tokens.tokenFor(s, 'orders')) !== first[i]) renewedAt[i] = elapsed
      }
      clock.advance(500)
    }
    // random 0: at 80% of its life (20% left, the floor); 0.5: 70%; ~1: 60% (40% left).
    expect(renewedAt).toEqual([0.8 * TTL_MS, 0.7 * TTL_MS, 0.6 * TTL_MS])
  })

  it('a cohort minted together renews over a window, and never with less than 20% left', async () => {
    const { store } = await sqliteFile()
    const clock = new Clock()
    const { tokens } = await issuerOn(store, clock) // Math.random, as in production
    const cohort = await Promise.all(Array.from({ length: 200 }, () => liveSubject(store, clock)))
    const first = await Promise.all(cohort.map((s) => tokens.tokenFor(s, 'orders')))
    const perSecond = new Map<number, number>()
    const pending = new Set(cohort.keys())
    for (let elapsed = 0; elapsed < TTL_MS; elapsed += 1000) {
      for (const i of [...pending]) {
        if ((await tokens.tokenFor(cohort[i]!, 'orders')) !== first[i]) {
          pending.delete(i)
          perSecond.set(elapsed, (perSecond.get(elapsed) ?? 0) + 1)
        }
      }
      clock.advance(1000)
    }
    expect(pending.size).toBe(0)
    const seconds = [...perSecond.keys()]
    expect(Math.min(...seconds)).toBeGreaterThanOrEqual(0.6 * TTL_MS)
    expect(Math.max(...seconds)).toBeLessThanOrEqual(0.8 * TTL_MS)
    // Without the spread all 200 renew in one second; with it, over 60 s (mean 3.3 a second).
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(20)
    expect(perSecond.size).toBeGreaterThan(35)
  })
})

describe('cheap renewals', () => {
  it('a steady renewal is one store call; a chain\'s first is one call too; the first on another process reads the row first', async () => {
    const { store } = await sqliteFile()
    const clock = new Clock()
    const { tokens, calls } = await issuerOn(store, clock)
    const subject = await liveSubject(store, clock)
    await tokens.tokenFor(subject, 'orders')
    // The first renewal of the chain: one call starts it already renewed (generation 0 consumed by 1).
    expect(calls).toEqual({ startRenewedRefreshChain: 1 })
    expect(await store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: 1 })
    for (let i = 0; i < 5; i++) await tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(calls).toEqual({ startRenewedRefreshChain: 1, renewRefreshToken: 5 })

    // A second process (a restart) reads the row once, then renews with one call each time.
    const other = await issuerOn(store, clock)
    await other.tokens.tokenFor(subject, 'orders')
    await other.tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(other.calls).toEqual({ startRenewedRefreshChain: 1, renewRefreshToken: 2 })
    expect(await store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: 8 })
  })

  it('a process whose remembered generation is stale (the chain moved on elsewhere) re-reads it: never a reuse', async () => {
    const { store, again } = await sqliteFile()
    const clock = new Clock()
    const a = await issuerOn(store, clock)
    const b = await issuerOn(await again(), clock)
    const subject = await liveSubject(store, clock)
    await a.tokens.tokenFor(subject, 'orders', { fresh: true }) // a remembers generation 1
    for (let i = 0; i < 5; i++) {
      await b.tokens.tokenFor(subject, 'orders', { fresh: true })
      clock.advance(RACE_WINDOW_MS + 1) // so that a's generation was consumed long ago, and pruned
    }
    await a.tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(await store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: 7 })
    expect(await store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
    expect([...a.audits, ...b.audits].filter((x) => x.type === 'refresh_token.reuse_detected')).toEqual([])
  })

  it('parallel mints of one session on two issuers sharing a store never report reuse', async () => {
    const { store, again } = await sqliteFile()
    await parallelMintsOnTwoIssuers(store, await again())
  })

  it('a process with another master key still refuses the chain (ERR_MASTER_KEY_MISMATCH), and changes nothing', async () => {
    const { store } = await sqliteFile()
    const clock = new Clock()
    const subject = await liveSubject(store, clock)
    await (await issuerOn(store, clock)).tokens.tokenFor(subject, 'orders')
    const wrong = createRefreshChain({
      store,
      clock,
      cipher: createMasterKeyCipher('another-master-key-0123456789-abcdefghij'),
      revokeSession: async () => {
        throw new Error('must not revoke')
      },
    })
    await expect(wrong.renew(subject)).rejects.toMatchObject({ code: 'ERR_MASTER_KEY_MISMATCH' })
    await expect(wrong.renew(subject)).rejects.toMatchObject({ code: 'ERR_MASTER_KEY_MISMATCH' })
    expect(await store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: 1 })
  })
})

describe('bounded refresh-token rows', () => {
  it('a session renewing for a day keeps the current row and the last two consumed ones', async () => {
    const { store, path } = await sqliteFile()
    const clock = new Clock()
    const { tokens } = await issuerOn(store, clock)
    const subject = await liveSubject(store, clock)
    let max = 0
    for (let i = 0; i < 360; i++) {
      await tokens.tokenFor(subject, 'orders')
      clock.advance(0.8 * TTL_MS) // a day of renewals, every 4 minutes
      max = Math.max(max, rowsOf(path, subject.sessionId).length)
    }
    expect(max).toBe(KEEP_LAST + 1)
    expect(rowsOf(path, subject.sessionId).map((r) => r.generation)).toEqual([358, 359, 360])
  })

  it('renewing as fast as it can, a session keeps at most KEEP_AT_MOST consumed rows', async () => {
    const { store, path } = await sqliteFile()
    const clock = new Clock()
    const { tokens } = await issuerOn(store, clock)
    const subject = await liveSubject(store, clock)
    for (let i = 0; i < 100; i++) await tokens.tokenFor(subject, 'orders', { fresh: true })
    const rows = rowsOf(path, subject.sessionId)
    expect(rows).toHaveLength(KEEP_AT_MOST + 1)
    expect(rows.at(-1)).toMatchObject({ generation: 100, consumed_at: null })
  })

  it('a replayed consumed token whose row was deleted still revokes the session', async () => {
    const { store, path } = await sqliteFile()
    const clock = new Clock()
    const { tokens, audits } = await issuerOn(store, clock)
    const subject = await liveSubject(store, clock)
    const stolen = await tokens.refreshTokens.current(subject.sessionId)
    for (let i = 0; i < 5; i++) {
      await tokens.tokenFor(subject, 'orders', { fresh: true })
      clock.advance(RACE_WINDOW_MS + 1)
    }
    // Its row is gone: only the new rule can tell it from a token that never existed.
    expect(rowsOf(path, subject.sessionId).map((r) => r.generation)).not.toContain(stolen.generation)
    await expect(tokens.refreshTokens.renew(subject, stolen.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
    expect(await store.findSession(subject.sessionId)).toMatchObject({ revokedReason: 'reuse_detected' })
    expect(audits.filter((x) => x.type === 'refresh_token.reuse_detected')).toEqual([
      { type: 'refresh_token.reuse_detected', entry: { userId: subject.userId, sessionId: subject.sessionId, details: { generation: stolen.generation, consumedAt: null, pruned: true } } },
    ])
    await expect(tokens.tokenFor(subject, 'orders')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
  })
})

const pg = await postgresForTests('tokens renewals')
describe.skipIf(pg.cluster === undefined)(`two gateways on one Postgres${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  afterAll(async () => {
    await pg.cluster?.stop()
  })

  it('parallel mints of one session on two issuers never report reuse', async () => {
    const url = await pg.cluster!.createDatabase('renewals_parallel')
    const [a, b] = [await createPostgresStore({ url }), await createPostgresStore({ url })]
    keep(a)
    keep(b)
    await parallelMintsOnTwoIssuers(a, b)
  })

  it('a session\'s first renewal on a process believes the row its lookup saw; a stale one (consumed, or pruned) is re-read, never a reuse', async () => {
    const url = await pg.cluster!.createDatabase('renewals_hint')
    const [store, other] = [await createPostgresStore({ url }), await createPostgresStore({ url })]
    keep(store)
    keep(other)
    const clock = new Clock()
    const b = await issuerOn(other, clock)
    const [fresh, consumed, pruned] = [await liveSubject(store, clock), await liveSubject(store, clock), await liveSubject(store, clock)]
    for (const subject of [fresh, consumed, pruned]) await b.tokens.tokenFor(subject, 'orders') // generation 1
    // A new process: its session lookups (as the gateway's authenticate does) see generation 1.
    const a = await issuerOn(store, clock)
    for (const subject of [fresh, consumed, pruned]) await store.findSessionWithUser(subject.sessionId)
    // Elsewhere, `consumed` renews once and `pruned` five times (its generation 1 row deleted),
    // each past the race window by the gateways' clock.
    for (let i = 0; i < 5; i++) {
      clock.advance(RACE_WINDOW_MS + 1)
      if (i === 0) await b.tokens.tokenFor(consumed, 'orders', { fresh: true })
      await b.tokens.tokenFor(pruned, 'orders', { fresh: true })
    }
    clock.advance(RACE_WINDOW_MS + 1)

    await a.tokens.tokenFor(fresh, 'orders')
    // The lookup's row, believed: one call that reads nothing, and the compare-and-set.
    expect(a.calls).toEqual({ startRenewedRefreshChain: 1, renewRefreshToken: 1 })
    await a.tokens.tokenFor(consumed, 'orders')
    await a.tokens.tokenFor(pruned, 'orders')
    // Each stale belief: the failed compare-and-set, a read, and the renewal of the current row.
    expect(a.calls).toEqual({ startRenewedRefreshChain: 5, renewRefreshToken: 5 })
    expect(await store.findCurrentRefreshToken(fresh.sessionId)).toMatchObject({ generation: 2 })
    expect(await store.findCurrentRefreshToken(consumed.sessionId)).toMatchObject({ generation: 3 })
    expect(await store.findCurrentRefreshToken(pruned.sessionId)).toMatchObject({ generation: 7 })
    for (const subject of [fresh, consumed, pruned]) expect(await store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
    expect([...a.audits, ...b.audits].filter((x) => x.type === 'refresh_token.reuse_detected')).toEqual([])
  })

  it('a stale remembered generation is re-read, and a replayed token whose row was pruned revokes', async () => {
    const url = await pg.cluster!.createDatabase('renewals_stale')
    const [store, other] = [await createPostgresStore({ url }), await createPostgresStore({ url })]
    keep(store)
    keep(other)
    const clock = new Clock()
    const a = await issuerOn(store, clock)
    const b = await issuerOn(other, clock)
    const subject = await liveSubject(store, clock)
    const stolen = await a.tokens.refreshTokens.current(subject.sessionId)
    await a.tokens.tokenFor(subject, 'orders', { fresh: true })
    for (let i = 0; i < 5; i++) {
      await b.tokens.tokenFor(subject, 'orders', { fresh: true })
      clock.advance(RACE_WINDOW_MS + 1)
    }
    await a.tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(await store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: stolen.generation + 7 })
    expect(a.audits).toEqual([])
    await expect(b.tokens.refreshTokens.renew(subject, stolen.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
    expect(b.audits).toMatchObject([{ type: 'refresh_token.reuse_detected', entry: { details: { generation: stolen.generation, pruned: true } } }])
    expect(await store.findSession(subject.sessionId)).toMatchObject({ revokedReason: 'reuse_detected' })
  })
})
