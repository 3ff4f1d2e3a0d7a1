import { and, count, desc, eq, gt, inArray, isNull, lt, lte, ne, or } from 'drizzle-orm'
import { decodePreviousCredentials, encodePreviousCredentials, type CredentialRotation, type Millis, type RevocationReason, type Session, type SessionFingerprint, type User } from '@gatehouse/store'
import type { PgDb } from './db.js'
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

export const liveSession = (now: Millis) =>
  and(isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))

// The compare-and-set operations here are single UPDATE statements. Under READ COMMITTED a
// second UPDATE of the same row waits for the first to commit and then re-checks its WHERE
// against the new row version; so of racing rotations (or revocations) on any number of
// gateways exactly one matches, and the others update nothing.
export function createSessionOps(db: PgDb) {
  return {
    async createSession(session: Session): Promise<void> {
      await db.insert(sessions).values(toRow(session))
    },
    async findSessionWithUser(id: string): Promise<{ session: Session; user: User } | null> {
      const [row] = await db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, id))
      return row ? { session: toSession(row.session), user: row.user } : null
    },
    async findSession(id: string): Promise<Session | null> {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, id))
      return row ? toSession(row) : null
    },
    async touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis): Promise<void> {
      await db.update(sessions).set({ lastSeenAt, idleExpiresAt }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt)))
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
