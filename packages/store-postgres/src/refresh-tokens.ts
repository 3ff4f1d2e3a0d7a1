import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import type { Pool } from 'pg'
import type { Millis, RefreshChainStart, RefreshChainStartResult, RefreshTokenRecord, RefreshTokenRenewal, RefreshTokenRenewalResult } from '@gatehouse/store'
import type { PgDb } from './db.js'
import type { RefreshChainHints } from '@gatehouse/store'
import { createQueryBatch } from './query-batch.js'
import { refreshTokens, sessions } from './schema.js'
import { liveSession } from './sessions.js'

/**
 * The CTE `live`: the session `id`, if it is live at `now`, locked FOR SHARE, so a concurrent
 * revocation waits for the statement and a successor is never stored for a session revoked
 * before it. (Parameters as SQL placeholders, e.g. `$1`.)
 */
function liveSessionCte(id: string, now: string): string {
  return `live as (
  select id from sessions
  where id = ${id} and revoked_at is null and idle_expires_at > ${now}::bigint and absolute_expires_at > ${now}::bigint
  for share
)`
}

/**
 * The steady renewal in ONE statement, one round trip, prepared once per connection: lock the
 * session row FOR SHARE if it is live (a concurrent revocation waits for this statement, so no
 * successor is stored for a session revoked before it), consume the presented token if it is
 * unconsumed (the compare-and-set: under READ COMMITTED a racing UPDATE of the same row waits
 * for the winner and then re-checks consumed_at, matching nothing), insert its successor, and
 * delete the session's old consumed rows. Every data-modifying CTE sees the statement's
 * snapshot, so the prune never sees the row consumed here (it is not old anyway). When the
 * compare-and-set matched nothing, `generation` is null and the classifying transaction says why.
 */
const RENEW_SQL = `
with ${liveSessionCte('$1', '$2')}, consumed as (
  update refresh_tokens set consumed_at = $2::bigint, replaced_by = $4
  where token_hash = $3 and session_id = $1 and consumed_at is null and exists (select 1 from live)
  returning generation
), inserted as (
  insert into refresh_tokens (token_hash, session_id, generation, created_at)
  select $4, $1, generation + 1, $2::bigint from consumed
  returning generation
), pruned as (
  delete from refresh_tokens
  where $5::boolean and session_id = $1 and consumed_at is not null
    and generation < (select generation from inserted) - $6::int
    and (consumed_at < $7::bigint or generation < (select generation from inserted) - $8::int)
  returning 1
)
select (select generation from inserted) as generation, (select count(*) from pruned)::int as pruned`

/**
 * RENEW_SQL for the renewals of one batch (query-batch.ts): each input row is one renewal, with
 * its own session, presented and successor hashes, time and pruning. Each session is locked FOR
 * SHARE and each compare-and-set matches at most its own token's row, as in RENEW_SQL; a renewal
 * that matched nothing gets no row back, and is classified on its own, as a single one is.
 */
const RENEW_MANY_SQL = `
with input as (
  select * from unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::int[], $7::bigint[], $8::int[])
    as i(session_id, now, presented, successor, prune, keep_last, consumed_before, keep_at_most)
), live as (
  select s.id from sessions s join input i on s.id = i.session_id
  where s.revoked_at is null and s.idle_expires_at > i.now and s.absolute_expires_at > i.now
  for share of s
), consumed as (
  update refresh_tokens r set consumed_at = i.now, replaced_by = i.successor
  from input i
  where r.token_hash = i.presented and r.session_id = i.session_id and r.consumed_at is null
    and exists (select 1 from live l where l.id = i.session_id)
  returning r.session_id, r.generation, i.successor, i.now
), inserted as (
  insert into refresh_tokens (token_hash, session_id, generation, created_at)
  select successor, session_id, generation + 1, now from consumed
  returning token_hash, session_id, generation
), pruned as (
  delete from refresh_tokens r using inserted n, input i
  where i.successor = n.token_hash and i.prune and r.session_id = n.session_id and r.consumed_at is not null
    and r.generation < n.generation - i.keep_last
    and (r.consumed_at < i.consumed_before or r.generation < n.generation - i.keep_at_most)
  returning 1
)
select token_hash as successor, generation, (select count(*) from pruned)::int as pruned from inserted`

/**
 * A session's first renewal on a process, in ONE statement: for a live session (locked FOR SHARE,
 * as in the renewal, so a concurrent revocation waits for it) with no token at all, insert
 * generation 0 consumed by generation 1; in any case answer the current row as the statement's
 * snapshot saw it. Two racing starters may both pass the NOT EXISTS, but the unique
 * (session, generation) index lets one insert: ON CONFLICT DO NOTHING waits for it and turns the
 * other's rows into no-ops (both carry the same derived hashes). That loser's snapshot predates
 * the winner's rows, so it reads the current row again in a statement of its own.
 */
const START_RENEWED_SQL = `
with ${liveSessionCte('$1', '$4')}, current_row as (
  select token_hash, generation, created_at, consumed_at, replaced_by from refresh_tokens
  where session_id = $1 and consumed_at is null order by generation desc limit 1
), started as (
  insert into refresh_tokens (token_hash, session_id, generation, created_at, consumed_at, replaced_by)
  select v.token_hash, $1, v.generation, $4::bigint, v.consumed_at, v.replaced_by
  from (values ($2::text, 0, $4::bigint, $3::text), ($3::text, 1, null::bigint, null::text)) as v(token_hash, generation, consumed_at, replaced_by)
  where not exists (select 1 from current_row) and exists (select 1 from live)
    and not exists (select 1 from refresh_tokens where session_id = $1)
  on conflict do nothing
  returning 1
)
select (select count(*) from started)::int as started, c.token_hash as "tokenHash", c.generation,
  c.created_at::float8 as "createdAt", c.consumed_at::float8 as "consumedAt", c.replaced_by as "replacedBy"
from (select 1) as one left join current_row c on true`

const CURRENT_SQL = `
select token_hash as "tokenHash", session_id as "sessionId", generation, created_at::float8 as "createdAt",
  consumed_at::float8 as "consumedAt", replaced_by as "replacedBy"
from refresh_tokens where session_id = $1 and consumed_at is null order by generation desc limit 1`

export function createRefreshTokenOps(db: PgDb & { $client: Pool }, chainHints?: RefreshChainHints) {
  const pool = db.$client
  async function findCurrent(sessionId: string): Promise<RefreshTokenRecord | null> {
    // A named statement on the pool (prepared once per connection), no query building per call.
    const { rows } = await pool.query<RefreshTokenRecord>({ name: 'gatehouse_current_refresh_token', text: CURRENT_SQL, values: [sessionId] })
    return rows[0] ?? null
  }
  // Renewals arriving together (a cohort of sessions) share one statement and one commit.
  const renewBatched = createQueryBatch<RefreshTokenRenewal, number | null>({
    async one(r) {
      const p = r.prune
      const { rows } = await pool.query<{ generation: number | null }>({
        name: 'gatehouse_renew_refresh_token',
        text: RENEW_SQL,
        values: [r.sessionId, r.now, r.presentedHash, r.successorHash, p !== undefined, p?.keepLast ?? 0, p?.consumedBefore ?? 0, p?.keepAtMost ?? 0],
      })
      return rows[0]?.generation ?? null
    },
    async many(rs) {
      const { rows } = await pool.query<{ successor: string; generation: number }>({
        name: 'gatehouse_renew_refresh_tokens',
        text: RENEW_MANY_SQL,
        values: [
          rs.map((r) => r.sessionId),
          rs.map((r) => r.now),
          rs.map((r) => r.presentedHash),
          rs.map((r) => r.successorHash),
          rs.map((r) => r.prune !== undefined),
          rs.map((r) => r.prune?.keepLast ?? 0),
          rs.map((r) => r.prune?.consumedBefore ?? 0),
          rs.map((r) => r.prune?.keepAtMost ?? 0),
        ],
      })
      const bySuccessor = new Map(rows.map((row) => [row.successor, row.generation]))
      // Two renewals of one token (one session's tokens for two upstreams) name the same
      // successor: the first is the one that renewed; the other is classified, as a loser is.
      return rs.map((r) => {
        const generation = bySuccessor.get(r.successorHash) ?? null
        bySuccessor.delete(r.successorHash)
        return generation
      })
    },
  })
  return {
    async startRefreshChain(start: { sessionId: string; tokenHash: string; now: Millis }): Promise<boolean> {
      // One statement: insert generation 0 only for a live session with no token yet. Two racing
      // starters may both pass the NOT EXISTS, but the unique (session, generation) index lets
      // one insert; ON CONFLICT DO NOTHING waits for it and turns the other into a no-op.
      const result = await db.execute(sql`
        insert into ${refreshTokens} (token_hash, session_id, generation, created_at)
        select ${start.tokenHash}, ${sessions.id}, 0, ${start.now}::bigint from ${sessions}
        where ${and(eq(sessions.id, start.sessionId), liveSession(start.now))}
          and not exists (select 1 from ${refreshTokens} where ${refreshTokens.sessionId} = ${start.sessionId})
        on conflict do nothing`)
      return result.rowCount === 1
    },
    async startRenewedRefreshChain(r: RefreshChainStart): Promise<RefreshChainStartResult> {
      // The chain's current row as this process's session lookup saw it an instant ago: no round trip.
      const seen = chainHints?.take(r.sessionId)
      if (seen !== undefined) return { started: false, current: seen, recent: true }
      const { rows } = await pool.query<{ started: number } & Omit<RefreshTokenRecord, 'sessionId' | 'generation'> & { generation: number | null }>({
        name: 'gatehouse_start_renewed_refresh_chain',
        text: START_RENEWED_SQL,
        values: [r.sessionId, r.firstHash, r.successorHash, r.now],
      })
      const row = rows[0]!
      if (row.started === 2) {
        return { started: true, successor: { tokenHash: r.successorHash, sessionId: r.sessionId, generation: 1, createdAt: r.now, consumedAt: null, replacedBy: null } }
      }
      if (row.generation !== null) {
        const { started: _, generation, ...rest } = row
        return { started: false, current: { ...rest, sessionId: r.sessionId, generation } }
      }
      // No row in this statement's snapshot: the session is not live, or a racing start committed
      // while this one waited on it. A new statement sees its rows.
      return { started: false, current: await findCurrent(r.sessionId) }
    },
    findCurrentRefreshToken: findCurrent,
    async renewRefreshToken(r: RefreshTokenRenewal): Promise<RefreshTokenRenewalResult> {
      const generation = await renewBatched(r)
      if (generation !== null) {
        return { outcome: 'renewed', successor: { tokenHash: r.successorHash, sessionId: r.sessionId, generation, createdAt: r.now, consumedAt: null, replacedBy: null } }
      }
      return db.transaction(async (tx): Promise<RefreshTokenRenewalResult> => {
        const byHash = and(eq(refreshTokens.tokenHash, r.presentedHash), eq(refreshTokens.sessionId, r.sessionId))
        const [token] = await tx.select().from(refreshTokens).where(byHash)
        if (!token) return { outcome: 'unknown' }
        // FOR SHARE holds off a concurrent revocation until this renewal commits: a successor is
        // never stored for a session revoked before it.
        const [live] = await tx
          .select({ id: sessions.id })
          .from(sessions)
          .where(and(eq(sessions.id, r.sessionId), liveSession(r.now)))
          .for('share')
        if (!live) return { outcome: 'session_ended' }
        if (token.consumedAt !== null) return { outcome: 'consumed', token }
        // The compare-and-set proper: racing renewals queue on the row lock; after the winner
        // commits, the others' WHERE no longer matches (consumed_at is set) and they update
        // nothing. The unique (session, generation) index is the backstop for the successor.
        const consumed = await tx
          .update(refreshTokens)
          .set({ consumedAt: r.now, replacedBy: r.successorHash })
          .where(and(byHash, isNull(refreshTokens.consumedAt)))
          .returning({ tokenHash: refreshTokens.tokenHash })
        if (consumed.length !== 1) {
          // A new statement, a new snapshot: it sees the winner's committed consumption.
          const [now] = await tx.select().from(refreshTokens).where(byHash)
          return now ? { outcome: 'consumed', token: now } : { outcome: 'unknown' }
        }
        const successor: RefreshTokenRecord = {
          tokenHash: r.successorHash,
          sessionId: r.sessionId,
          generation: token.generation + 1,
          createdAt: r.now,
          consumedAt: null,
          replacedBy: null,
        }
        await tx.insert(refreshTokens).values(successor)
        const p = r.prune
        if (p) {
          await tx.execute(sql`
            delete from ${refreshTokens}
            where ${refreshTokens.sessionId} = ${r.sessionId} and ${refreshTokens.consumedAt} is not null
              and ${refreshTokens.generation} < ${successor.generation - p.keepLast}
              and (${refreshTokens.consumedAt} < ${p.consumedBefore}::bigint or ${refreshTokens.generation} < ${successor.generation - p.keepAtMost})`)
        }
        return { outcome: 'renewed', successor }
      })
    },
    async deleteConsumedRefreshTokens(olderThan: Millis): Promise<number> {
      const result = await db.delete(refreshTokens).where(lt(refreshTokens.consumedAt, olderThan))
      return (result.rowCount ?? 0)
    },
  }
}
