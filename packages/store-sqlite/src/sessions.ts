import { and, count, desc, eq, gt, isNull, lt, lte, ne, or, sql } from 'drizzle-orm'
import { decodePreviousCredentials, encodePreviousCredentials, type CredentialRotation, type Millis, type RevocationReason, type Session, type SessionFingerprint, type SessionState, type User, type RefreshChainHints } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { createGroupCommit } from './group-commit.js'
import { sessions } from './schema.js'
import { SESSION_WITH_USER_SQL, splitJoinedRow, type JoinedRow } from './session-with-user.js'

type Row = typeof sessions.$inferSelect

function toSession({ previousCredentialHash: _superseded, previousCredentials, ...row }: Row): Session {
  return { ...row, previousCredentials: decodePreviousCredentials(previousCredentials), revokedReason: row.revokedReason as RevocationReason | null }
}

const toRow = ({ previousCredentials, ...session }: Session) => ({
  ...session,
  previousCredentials: encodePreviousCredentials(previousCredentials),
  previousCredentialHash: previousCredentials[0]?.hash ?? null,
})

const live = (now: Millis) =>
  and(isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))

/**
 * How long rows of the session change log are kept, by the database's own clock (the one its
 * triggers write). A lookup cache idle for longer finds its rows gone and clears itself.
 */
export const SESSION_CHANGES_KEPT_MS = 10 * 60_000

export function createSessionOps(db: SqliteDb, chainHints?: RefreshChainHints) {
  // A prefix by seq, so what stays is always contiguous up to the newest row, whatever the clock did.
  const pruneChanges = db.$client.prepare(`
    DELETE FROM session_changes WHERE seq <= (
      SELECT max(seq) FROM session_changes WHERE changed_at < CAST(unixepoch('subsec') * 1000 AS INTEGER) - ?)`)
  // The lookup on every authenticated request: prepared once.
  const byId = db.select().from(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare()
  const touch = db
    .update(sessions)
    .set({ lastSeenAt: sql`${sql.placeholder('lastSeenAt')}`, idleExpiresAt: sql`${sql.placeholder('idleExpiresAt')}` })
    .where(and(eq(sessions.id, sql.placeholder('id')), isNull(sessions.revokedAt)))
    .prepare()

  // The hot path's one query, on the driver directly: drizzle's row mapping cost more than the
  // query itself.
  const withUser = db.$client.prepare(SESSION_WITH_USER_SQL)
  // Idle-deadline writes arriving together (a cohort of sessions back after a minute) share one commit.
  const touchTogether = createGroupCommit(db.$client, (t: { id: string; lastSeenAt: Millis; idleExpiresAt: Millis }) => {
    touch.run(t)
  })

  return {
    async createSession(session: Session): Promise<void> {
      db.insert(sessions).values(toRow(session)).run()
    },
    async findSessionWithUser(id: string): Promise<{ session: SessionState; user: User } | null> {
      const row = withUser.get(id) as JoinedRow | undefined
      if (row === undefined) return null
      chainHints?.note(id, row.r_token_hash === null ? null : { tokenHash: row.r_token_hash, generation: row.r_generation!, createdAt: row.r_created_at! })
      return splitJoinedRow(row)
    },
    async findSession(id: string): Promise<Session | null> {
      const row = byId.get({ id })
      return row ? toSession(row) : null
    },
    touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis): Promise<void> {
      return touchTogether({ id, lastSeenAt, idleExpiresAt })
    },
    async rotateSessionCredential(id: string, r: CredentialRotation): Promise<boolean> {
      const result = db
        .update(sessions)
        .set({
          previousCredentials: encodePreviousCredentials(r.previousCredentials),
          previousCredentialHash: r.expectedHash,
          credentialHash: r.newHash,
          credentialRotatedAt: r.now,
        })
        .where(and(eq(sessions.id, id), eq(sessions.credentialHash, r.expectedHash), live(r.now)))
        .run()
      return result.changes === 1
    },
    async revokeSession(id: string, reason: RevocationReason, now: Millis): Promise<Session | null> {
      const row = db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .returning()
        .get()
      return row ? toSession(row) : null
    },
    async revokeUserSessions(
      userId: string,
      reason: RevocationReason,
      now: Millis,
      options: { exceptSessionId?: string } = {},
    ): Promise<string[]> {
      const rows = db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            options.exceptSessionId === undefined ? undefined : ne(sessions.id, options.exceptSessionId),
          ),
        )
        .returning({ id: sessions.id })
        .all()
      return rows.map((r) => r.id)
    },
    async setSessionFingerprint(id: string, fingerprint: SessionFingerprint): Promise<void> {
      db.update(sessions)
        .set({ uaFamilyHash: fingerprint.uaFamilyHash, networkHash: fingerprint.networkHash })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
        .run()
    },
    async countActiveSessions(now: Millis): Promise<number> {
      return db.select({ n: count() }).from(sessions).where(live(now)).get()?.n ?? 0
    },
    async listActiveSessions(userId: string, now: Millis): Promise<Session[]> {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), live(now)))
        .orderBy(desc(sessions.lastSeenAt))
        .all()
        .map(toSession)
    },
    async expireSessions(now: Millis): Promise<Session[]> {
      return db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: 'expired' })
        .where(and(isNull(sessions.revokedAt), or(lte(sessions.idleExpiresAt, now), lte(sessions.absoluteExpiresAt, now))))
        .returning()
        .all()
        .map(toSession)
    },
    async deleteEndedSessions(olderThan: Millis): Promise<number> {
      // The periodic prune is also where the session change log stays bounded (see schema.ts).
      pruneChanges.run(SESSION_CHANGES_KEPT_MS)
      return db
        .delete(sessions)
        .where(
          or(
            lt(sessions.revokedAt, olderThan),
            lt(sessions.idleExpiresAt, olderThan),
            lt(sessions.absoluteExpiresAt, olderThan),
          ),
        )
        .run().changes
    },
  }
}
