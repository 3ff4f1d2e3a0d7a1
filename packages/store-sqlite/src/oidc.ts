import { and, asc, eq, gt, isNull, lt, lte, or, sql } from 'drizzle-orm'
import { StoreError, type IdpRefreshLease, type IdpSessionMatch, type IdpSessionRecord, type IdpTokenUpdate, type LinkedIdentity, type Millis, type OidcTransaction } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { sqliteErrorCode } from './sqlite-errors.js'
import { identities, idpSessions, logoutTokenIds, oidcTransactions, sessions } from './schema.js'

const liveSession = (now: Millis) => and(isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))
const isUnique = (error: unknown) => ['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'].includes(sqliteErrorCode(error) ?? '')

export function createOidcOps(db: SqliteDb) {
  return {
    async createOidcTransaction(t: OidcTransaction): Promise<void> {
      db.insert(oidcTransactions).values(t).run()
    },
    async takeOidcTransaction(id: string, now: Millis): Promise<OidcTransaction | null> {
      // DELETE … RETURNING is one statement: of racing callbacks with the same state, one gets the row.
      const [row] = db.delete(oidcTransactions).where(eq(oidcTransactions.id, id)).returning().all()
      return row !== undefined && row.expiresAt > now ? row : null
    },
    async findIdentity(issuer: string, subject: string): Promise<LinkedIdentity | null> {
      return db.select().from(identities).where(and(eq(identities.issuer, issuer), eq(identities.subject, subject))).get() ?? null
    },
    async linkIdentity(identity: LinkedIdentity): Promise<void> {
      try {
        db.insert(identities).values(identity).run()
      } catch (cause) {
        if (isUnique(cause)) throw new StoreError('ERR_STORE_CONFLICT', 'this identity is linked already')
        throw cause
      }
    },
    async touchIdentity(issuer: string, subject: string, now: Millis): Promise<void> {
      db.update(identities).set({ lastLoginAt: now }).where(and(eq(identities.issuer, issuer), eq(identities.subject, subject))).run()
    },
    async listIdentities(userId: string): Promise<LinkedIdentity[]> {
      return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt), asc(identities.issuer), asc(identities.subject)).all()
    },
    async unlinkIdentity(userId: string, issuer: string, subject: string): Promise<boolean> {
      const where = and(eq(identities.userId, userId), eq(identities.issuer, issuer), eq(identities.subject, subject))
      return db.delete(identities).where(where).run().changes > 0
    },
    async saveIdpSession(record: IdpSessionRecord): Promise<void> {
      db.insert(idpSessions).values(record).run()
    },
    async findIdpSession(sessionId: string): Promise<IdpSessionRecord | null> {
      return db.select().from(idpSessions).where(eq(idpSessions.sessionId, sessionId)).get() ?? null
    },
    async leaseIdpRefresh(sessionId: string, l: IdpRefreshLease): Promise<boolean> {
      const live = db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), liveSession(l.now)))
      const free = or(isNull(idpSessions.refreshLeaseUntil), lte(idpSessions.refreshLeaseUntil, l.now))
      const result = db
        .update(idpSessions)
        .set({ refreshLeaseUntil: l.until })
        .where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, l.expectedVersion), free, sql`exists ${live}`))
        .run()
      return result.changes === 1
    },
    async releaseIdpRefresh(sessionId: string, expectedVersion: number): Promise<void> {
      db.update(idpSessions).set({ refreshLeaseUntil: null }).where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, expectedVersion))).run()
    },
    async updateIdpTokens(sessionId: string, u: IdpTokenUpdate): Promise<boolean> {
      const live = db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), liveSession(u.now)))
      const result = db
        .update(idpSessions)
        .set({ tokensEnc: u.tokensEnc, accessExpiresAt: u.accessExpiresAt, version: sql`${idpSessions.version} + 1`, refreshLeaseUntil: null, updatedAt: u.now })
        .where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, u.expectedVersion), sql`exists ${live}`))
        .run()
      return result.changes === 1
    },
    async findIdpSessionIds(match: IdpSessionMatch, now: Millis): Promise<string[]> {
      const rows = db
        .select({ id: idpSessions.sessionId })
        .from(idpSessions)
        .innerJoin(sessions, eq(sessions.id, idpSessions.sessionId))
        .where(
          and(
            eq(idpSessions.issuer, match.issuer),
            match.idpSid === undefined ? undefined : eq(idpSessions.idpSid, match.idpSid),
            match.subject === undefined ? undefined : eq(idpSessions.subject, match.subject),
            liveSession(now),
          ),
        )
        .all()
      return rows.map((r) => r.id)
    },
    async recordLogoutTokenId(key: string, expiresAt: Millis): Promise<boolean> {
      return db.insert(logoutTokenIds).values({ key, expiresAt }).onConflictDoNothing().run().changes === 1
    },
    async deleteExpiredOidcRecords(now: Millis): Promise<number> {
      const a = db.delete(oidcTransactions).where(lt(oidcTransactions.expiresAt, now)).run().changes
      const b = db.delete(logoutTokenIds).where(lt(logoutTokenIds.expiresAt, now)).run().changes
      return a + b
    },
  }
}
