import { and, eq, gt, isNull, lt } from 'drizzle-orm'
import type { Millis, RefreshChainHints, RefreshChainStart, RefreshChainStartResult, RefreshTokenPruning, RefreshTokenRecord, RefreshTokenRenewal, RefreshTokenRenewalResult } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { createGroupCommit } from './group-commit.js'
import { refreshTokens, sessions } from './schema.js'

const liveSession = (id: string, now: Millis) =>
  and(eq(sessions.id, id), isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))

// The steady renewal, on the driver's prepared statements (no query building per call): the
// compare-and-set consumes the presented token only if it is unconsumed and its session live;
// then the successor is inserted and old consumed rows are deleted, all in one immediate
// transaction. When the compare-and-set matches nothing, the classifying path below says why.
const CONSUME_SQL = `update refresh_tokens set consumed_at = ?, replaced_by = ?
  where token_hash = ? and session_id = ? and consumed_at is null
    and exists (select 1 from sessions where id = ? and revoked_at is null and idle_expires_at > ? and absolute_expires_at > ?)
  returning generation`
const INSERT_SQL = `insert into refresh_tokens (token_hash, session_id, generation, created_at, consumed_at, replaced_by)
  values (?, ?, ?, ?, null, null)`
const CURRENT_SQL = `select token_hash, session_id, generation, created_at, consumed_at, replaced_by from refresh_tokens
  where session_id = ? and consumed_at is null order by generation desc limit 1`
// A session's first renewal on a process when it has no chain yet: generation 0 stored consumed
// by generation 1, for a live session with no token at all.
const LIVE_SQL = `select 1 as live from sessions where id = ? and revoked_at is null and idle_expires_at > ? and absolute_expires_at > ?`
const ANY_SQL = `select 1 as any from refresh_tokens where session_id = ? limit 1`
const START_SQL = `insert into refresh_tokens (token_hash, session_id, generation, created_at, consumed_at, replaced_by)
  values (?, ?, 0, ?, ?, ?), (?, ?, 1, ?, null, null)`
const PRUNE_SQL = `delete from refresh_tokens
  where session_id = ? and consumed_at is not null and generation < ? and (consumed_at < ? or generation < ?)`

interface RefreshTokenRow {
  token_hash: string
  session_id: string
  generation: number
  created_at: number
  consumed_at: number | null
  replaced_by: string | null
}

const recordOf = (r: RefreshTokenRow): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  sessionId: r.session_id,
  generation: r.generation,
  createdAt: r.created_at,
  consumedAt: r.consumed_at,
  replacedBy: r.replaced_by,
})

export function createRefreshTokenOps(db: SqliteDb, chainHints?: RefreshChainHints) {
  const client = db.$client
  const consume = client.prepare<[number, string, string, string, string, number, number], { generation: number }>(CONSUME_SQL)
  const insert = client.prepare(INSERT_SQL)
  const prune = client.prepare(PRUNE_SQL)
  const current = client.prepare<[string], RefreshTokenRow>(CURRENT_SQL)
  // Renewals arriving together (a cohort of sessions) share one commit.
  const fastRenew = createGroupCommit(client, (r: RefreshTokenRenewal): RefreshTokenRecord | null => {
    const consumed = consume.get(r.now, r.successorHash, r.presentedHash, r.sessionId, r.sessionId, r.now, r.now)
    if (consumed === undefined) return null
    const generation = consumed.generation + 1
    insert.run(r.successorHash, r.sessionId, generation, r.now)
    if (r.prune) pruneRows(r.sessionId, generation, r.prune)
    return { tokenHash: r.successorHash, sessionId: r.sessionId, generation, createdAt: r.now, consumedAt: null, replacedBy: null }
  })
  const live = client.prepare<[string, number, number]>(LIVE_SQL)
  const any = client.prepare<[string]>(ANY_SQL)
  const start = client.prepare(START_SQL)
  // Under the write lock (immediate): racing starters, in this process or another, serialise
  // here, and all but the first find a token and read the current row instead.
  const startRenewed = client.transaction((r: RefreshChainStart): RefreshChainStartResult => {
    if (live.get(r.sessionId, r.now, r.now) === undefined || any.get(r.sessionId) !== undefined) {
      const row = current.get(r.sessionId)
      return { started: false, current: row === undefined ? null : recordOf(row) }
    }
    start.run(r.firstHash, r.sessionId, r.now, r.now, r.successorHash, r.successorHash, r.sessionId, r.now)
    return { started: true, successor: { tokenHash: r.successorHash, sessionId: r.sessionId, generation: 1, createdAt: r.now, consumedAt: null, replacedBy: null } }
  })
  const pruneRows = (sessionId: string, generation: number, p: RefreshTokenPruning) =>
    prune.run(sessionId, generation - p.keepLast, p.consumedBefore, generation - p.keepAtMost)

  return {
    async startRefreshChain(start: { sessionId: string; tokenHash: string; now: Millis }): Promise<boolean> {
      return db.transaction(
        (tx) => {
          if (!tx.select({ id: sessions.id }).from(sessions).where(liveSession(start.sessionId, start.now)).get()) return false
          const any = tx.select({ h: refreshTokens.tokenHash }).from(refreshTokens).where(eq(refreshTokens.sessionId, start.sessionId)).limit(1).get()
          if (any) return false
          tx.insert(refreshTokens)
            .values({ tokenHash: start.tokenHash, sessionId: start.sessionId, generation: 0, createdAt: start.now, consumedAt: null, replacedBy: null })
            .run()
          return true
        },
        { behavior: 'immediate' },
      )
    },
    async startRenewedRefreshChain(r: RefreshChainStart): Promise<RefreshChainStartResult> {
      // The chain's current row as this process's session lookup saw it an instant ago: no read.
      const seen = chainHints?.take(r.sessionId)
      if (seen !== undefined) return { started: false, current: seen, recent: true }
      // A session that has a chain (a restart, another process) is one read, without the write lock.
      const row = current.get(r.sessionId)
      if (row !== undefined) return { started: false, current: recordOf(row) }
      return startRenewed.immediate(r)
    },
    async findCurrentRefreshToken(sessionId: string): Promise<RefreshTokenRecord | null> {
      const row = current.get(sessionId)
      return row === undefined ? null : recordOf(row)
    },
    async renewRefreshToken(r: RefreshTokenRenewal): Promise<RefreshTokenRenewalResult> {
      const successor = await fastRenew(r)
      if (successor !== null) return { outcome: 'renewed', successor }
      return db.transaction(
        (tx): RefreshTokenRenewalResult => {
          const byHash = and(eq(refreshTokens.tokenHash, r.presentedHash), eq(refreshTokens.sessionId, r.sessionId))
          const token = tx.select().from(refreshTokens).where(byHash).get()
          if (!token) return { outcome: 'unknown' }
          if (!tx.select({ id: sessions.id }).from(sessions).where(liveSession(r.sessionId, r.now)).get()) return { outcome: 'session_ended' }
          if (token.consumedAt !== null) return { outcome: 'consumed', token }
          // The compare-and-set proper: only an unconsumed token is consumed. (Under SQLite's
          // write lock it cannot fail here; on Postgres the same statement is the guard.)
          const consumed = tx
            .update(refreshTokens)
            .set({ consumedAt: r.now, replacedBy: r.successorHash })
            .where(and(byHash, isNull(refreshTokens.consumedAt)))
            .run()
          if (consumed.changes !== 1) return { outcome: 'consumed', token: tx.select().from(refreshTokens).where(byHash).get()! }
          const successor: RefreshTokenRecord = {
            tokenHash: r.successorHash,
            sessionId: r.sessionId,
            generation: token.generation + 1,
            createdAt: r.now,
            consumedAt: null,
            replacedBy: null,
          }
          tx.insert(refreshTokens).values(successor).run()
          if (r.prune) pruneRows(r.sessionId, successor.generation, r.prune)
          return { outcome: 'renewed', successor }
        },
        { behavior: 'immediate' },
      )
    },
    async deleteConsumedRefreshTokens(olderThan: Millis): Promise<number> {
      return db.delete(refreshTokens).where(lt(refreshTokens.consumedAt, olderThan)).run().changes
    },
  }
}
