import { and, count, desc, eq, gt, inArray, isNull, lt, lte, ne, or } from 'drizzle-orm'
import { decodePreviousCredentials, encodePreviousCredentials, sessionStateFromColumns, type SessionStateColumns, type CredentialRotation, type Millis, type RevocationReason, type Session, type SessionFingerprint, type SessionState, type User } from '@gatehouse/store'
import type { Pool } from 'pg'
import type { PgDb } from './db.js'
import type { RefreshChainHints } from '@gatehouse/store'
import { createQueryBatch } from './query-batch.js'
import { sessions, users } from './schema.js'

type Row = typeof sessions.$inferSelect

const toSession = ({ previousCredentialHash: _superseded, previousCredentials, ...row }: Row): Session => ({
  ...row,
  previousCredentials: decodePreviousCredentials(previousCredentials),
  revokedReason: row.revokedReason as RevocationReason | null,
})

const toRow = ({ previousCredentials, ...session }: Session) => ({
  ...session,
  previousCredentials: encodePreviousCredentials(previousCredentials),
  previousCredentialHash: previousCredentials[0]?.hash ?? null,
})

/**
 * The per-request lookup as one named prepared statement: parsed and planned once per
 * connection, and no query builder per call (drizzle's costs a few hundred µs). Times come back
 * as float8 (exact below 2^53), so node-postgres parses them as numbers, as drizzle's bigint
 * columns in 'number' mode do; jsonb roles arrive parsed. It also reads the session's refresh
 * chain's current row (one index probe), noted for the session's first renewal on this process
 * (see @gatehouse/store's refresh-chain-hints.ts): on a session-cache miss that saves the renewal a round trip.
 */
const FIND_COLUMNS = `s.id, s.user_id, s.credential_hash, s.previous_credentials, s.credential_rotated_at::float8 as credential_rotated_at,
      s.device_name, s.ua_family_hash, s.network_hash, s.created_at::float8 as created_at,
      s.last_seen_at::float8 as last_seen_at, s.idle_expires_at::float8 as idle_expires_at,
      s.absolute_expires_at::float8 as absolute_expires_at, s.revoked_at::float8 as revoked_at, s.revoked_reason,
      u.username, u.password_hash, u.roles, u.suspended_at::float8 as suspended_at,
      u.password_changed_at::float8 as password_changed_at, u.created_at::float8 as user_created_at, u.updated_at::float8 as user_updated_at
      , r.token_hash as refresh_token_hash, r.generation as refresh_generation, r.created_at::float8 as refresh_created_at
    from sessions s join users u on u.id = s.user_id
    left join lateral (
      select token_hash, generation, created_at from refresh_tokens
      where session_id = s.id and consumed_at is null order by generation desc limit 1
    ) r on true`
const FIND_SESSION_WITH_USER = { name: 'gatehouse_find_session_with_user', text: `select ${FIND_COLUMNS} where s.id = $1` }
/** The same lookup for the sessions of one batch (query-batch.ts). */
const FIND_SESSIONS_WITH_USERS = { name: 'gatehouse_find_sessions_with_users', text: `select ${FIND_COLUMNS} where s.id = any($1::text[])` }

const TOUCH_SESSION = {
  name: 'gatehouse_touch_session',
  text: 'update sessions set last_seen_at = $2::bigint, idle_expires_at = $3::bigint where id = $1 and revoked_at is null',
}
/** The idle-deadline writes of one batch (query-batch.ts); a session named twice gets the later deadline. */
const TOUCH_SESSIONS = {
  name: 'gatehouse_touch_sessions',
  text: `update sessions s set last_seen_at = t.last_seen_at, idle_expires_at = t.idle_expires_at
    from (select distinct on (id) id, last_seen_at, idle_expires_at
          from unnest($1::text[], $2::bigint[], $3::bigint[]) as i(id, last_seen_at, idle_expires_at)
          order by id, idle_expires_at desc) t
    where s.id = t.id and s.revoked_at is null`,
}

interface JoinedRow extends SessionStateColumns {
  username: string
  password_hash: string
  roles: string[]
  suspended_at: number | null
  password_changed_at: number
  user_created_at: number
  user_updated_at: number
  refresh_token_hash: string | null
  refresh_generation: number | null
  refresh_created_at: number | null
}

const fromJoined = (r: JoinedRow): { session: SessionState; user: User } => ({
  session: sessionStateFromColumns(r),
  user: {
    id: r.user_id,
    username: r.username,
    passwordHash: r.password_hash,
    roles: r.roles,
    suspendedAt: r.suspended_at,
    passwordChangedAt: r.password_changed_at,
    createdAt: r.user_created_at,
    updatedAt: r.user_updated_at,
  },
})

export const liveSession = (now: Millis) =>
  and(isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))

// The compare-and-set operations here are single UPDATE statements. Under READ COMMITTED a
// second UPDATE of the same row waits for the first to commit and then re-checks its WHERE
// against the new row version; so of racing rotations (or revocations) on any number of
// gateways exactly one matches, and the others update nothing.
export function createSessionOps(db: PgDb, pool: Pool, chainHints?: RefreshChainHints) {
  const found = (id: string, row: JoinedRow | undefined): { session: SessionState; user: User } | null => {
    if (row === undefined) return null
    chainHints?.note(
      id,
      row.refresh_token_hash === null ? null : { tokenHash: row.refresh_token_hash, generation: row.refresh_generation!, createdAt: row.refresh_created_at! },
    )
    return fromJoined(row)
  }
  // Lookups that miss every cache together (a cohort of sessions new to this gateway) share one statement.
  const findBatched = createQueryBatch<string, { session: SessionState; user: User } | null>({
    async one(id) {
      const { rows } = await pool.query<JoinedRow>({ ...FIND_SESSION_WITH_USER, values: [id] })
      return found(id, rows[0])
    },
    async many(ids) {
      const { rows } = await pool.query<JoinedRow>({ ...FIND_SESSIONS_WITH_USERS, values: [ids] })
      const byId = new Map(rows.map((r) => [r.id, r]))
      return ids.map((id) => found(id, byId.get(id)))
    },
  })
  // Idle-deadline writes: a session's once a minute while it is in use, so a cohort's come
  // together (sessions back after a pause, a restart); one statement for those of one turn.
  const touchBatched = createQueryBatch<{ id: string; lastSeenAt: Millis; idleExpiresAt: Millis }, void>({
    async one(t) {
      await pool.query({ ...TOUCH_SESSION, values: [t.id, t.lastSeenAt, t.idleExpiresAt] })
    },
    async many(ts) {
      await pool.query({ ...TOUCH_SESSIONS, values: [ts.map((t) => t.id), ts.map((t) => t.lastSeenAt), ts.map((t) => t.idleExpiresAt)] })
      return ts.map(() => undefined)
    },
  })
  return {
    async createSession(session: Session): Promise<void> {
      await db.insert(sessions).values(toRow(session))
    },
    findSessionWithUser(id: string): Promise<{ session: SessionState; user: User } | null> {
      return findBatched(id)
    },
    async findSession(id: string): Promise<Session | null> {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, id))
      return row ? toSession(row) : null
    },
    touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis): Promise<void> {
      return touchBatched({ id, lastSeenAt, idleExpiresAt })
    },
    async rotateSessionCredential(id: string, r: CredentialRotation): Promise<boolean> {
      const result = await db
        .update(sessions)
        .set({
          previousCredentials: encodePreviousCredentials(r.previousCredentials),
          previousCredentialHash: r.expectedHash,
          credentialHash: r.newHash,
          credentialRotatedAt: r.now,
        })
        .where(and(eq(sessions.id, id), eq(sessions.credentialHash, r.expectedHash), liveSession(r.now)))
      return result.rowCount === 1
    },
    async revokeSession(id: string, reason: RevocationReason, now: Millis): Promise<Session | null> {
      const [row] = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .returning()
      return row ? toSession(row) : null
    },
    async revokeUserSessions(userId: string, reason: RevocationReason, now: Millis, options: { exceptSessionId?: string } = {}): Promise<string[]> {
      const live = and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        options.exceptSessionId === undefined ? undefined : ne(sessions.id, options.exceptSessionId),
      )
      // The rows are locked in id order first: two gateways revoking one user's sessions at once
      // then queue behind each other instead of each holding what the other waits for (a
      // deadlock that remains is retried by withStoreErrors).
      const ordered = db.select({ id: sessions.id }).from(sessions).where(live).orderBy(sessions.id).for('update')
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(inArray(sessions.id, ordered), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id })
      return rows.map((r) => r.id)
    },
    async setSessionFingerprint(id: string, fingerprint: SessionFingerprint): Promise<void> {
      await db
        .update(sessions)
        .set({ uaFamilyHash: fingerprint.uaFamilyHash, networkHash: fingerprint.networkHash })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
    },
    async countActiveSessions(now: Millis): Promise<number> {
      const [row] = await db.select({ n: count() }).from(sessions).where(liveSession(now))
      return row?.n ?? 0
    },
    async listActiveSessions(userId: string, now: Millis): Promise<Session[]> {
      const rows = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), liveSession(now)))
        .orderBy(desc(sessions.lastSeenAt))
      return rows.map(toSession)
    },
    async expireSessions(now: Millis): Promise<Session[]> {
      // Two gateways pruning at once: each row is claimed by one of them (the re-check above).
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: 'expired' })
        .where(and(isNull(sessions.revokedAt), or(lte(sessions.idleExpiresAt, now), lte(sessions.absoluteExpiresAt, now))))
        .returning()
      return rows.map(toSession)
    },
    async deleteEndedSessions(olderThan: Millis): Promise<number> {
      const result = await db
        .delete(sessions)
        .where(or(lt(sessions.revokedAt, olderThan), lt(sessions.idleExpiresAt, olderThan), lt(sessions.absoluteExpiresAt, olderThan)))
      return result.rowCount ?? 0
    },
  }
}
