import { and, asc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm'
import { StoreError, type IdpRefreshLease, type IdpSessionMatch, type IdpSessionRecord, type IdpTokenUpdate, type LinkedIdentity, type Millis, type OidcTransaction } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { isUniqueViolation } from './pg-errors.js'
import { identities, idpSessions, logoutTokenIds, oidcTransactions, sessions } from './schema.js'
import { liveSession } from './sessions.js'

export function createOidcOps(db: PgDb) {
  return {
    async createOidcTransaction(t: OidcTransaction): Promise<void> {
      await db.insert(oidcTransactions).values(t)
    },
    async takeOidcTransaction(id: string, now: Millis): Promise<OidcTransaction | null> {
      // DELETE … RETURNING: of racing callbacks with the same state, one deletes the row; the others wait and match nothing.
      const [row] = await db.delete(oidcTransactions).where(eq(oidcTransactions.id, id)).returning()
      return row !== undefined && row.expiresAt > now ? row : null
    },
    async findIdentity(issuer: string, subject: string): Promise<LinkedIdentity | null> {
      const [row] = await db.select().from(identities).where(and(eq(identities.issuer, issuer), eq(identities.subject, subject)))
      return row ?? null
    },
    async linkIdentity(identity: LinkedIdentity): Promise<void> {
      try {
        await db.insert(identities).values(identity)
      } catch (cause) {
        if (isUniqueViolation(cause)) throw new StoreError('ERR_STORE_CONFLICT', 'this identity is linked already')
        throw cause
      }
    },
    async touchIdentity(issuer: string, subject: string, now: Millis): Promise<void> {
      await db.update(identities).set({ lastLoginAt: now }).where(and(eq(identities.issuer, issuer), eq(identities.subject, subject)))
    },
    async listIdentities(userId: string): Promise<LinkedIdentity[]> {
      return db
        .select()
        .from(identities)
        .where(eq(identities.userId, userId))
        .orderBy(asc(identities.createdAt), sql`${identities.issuer} collate "C"`, sql`${identities.subject} collate "C"`)
    },
    async unlinkIdentity(userId: string, issuer: string, subject: string): Promise<boolean> {
      const where = and(eq(identities.userId, userId), eq(identities.issuer, issuer), eq(identities.subject, subject))
      return ((await db.delete(identities).where(where)).rowCount ?? 0) > 0
    },
    async saveIdpSession(record: IdpSessionRecord): Promise<void> {
      await db.insert(idpSessions).values(record)
    },
    async findIdpSession(sessionId: string): Promise<IdpSessionRecord | null> {
      const [row] = await db.select().from(idpSessions).where(eq(idpSessions.sessionId, sessionId))
      return row ?? null
    },
    async leaseIdpRefresh(sessionId: string, l: IdpRefreshLease): Promise<boolean> {
      // One UPDATE: racing gateways queue on the row and re-check the WHERE after the first commits.
      const live = db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), liveSession(l.now)))
      const free = or(isNull(idpSessions.refreshLeaseUntil), lte(idpSessions.refreshLeaseUntil, l.now))
      const result = await db
        .update(idpSessions)
        .set({ refreshLeaseUntil: l.until })
        .where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, l.expectedVersion), free, sql`exists ${live}`))
      return (result.rowCount ?? 0) === 1
    },
    async releaseIdpRefresh(sessionId: string, expectedVersion: number): Promise<void> {
      await db.update(idpSessions).set({ refreshLeaseUntil: null }).where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, expectedVersion)))
    },
    async updateIdpTokens(sessionId: string, u: IdpTokenUpdate): Promise<boolean> {
      // One UPDATE: racing refreshes on several gateways queue on the row; after the first
      // commits, the others' version no longer matches and they update nothing.
      const live = db.select({ id: sessions.id }).from(sessions).where(and(eq(sessions.id, sessionId), liveSession(u.now)))
      const result = await db
        .update(idpSessions)
        .set({ tokensEnc: u.tokensEnc, accessExpiresAt: u.accessExpiresAt, version: sql`${idpSessions.version} + 1`, refreshLeaseUntil: null, updatedAt: u.now })
        .where(and(eq(idpSessions.sessionId, sessionId), eq(idpSessions.version, u.expectedVersion), sql`exists ${live}`))
      return (result.rowCount ?? 0) === 1
    },
    async findIdpSessionIds(match: IdpSessionMatch, now: Millis): Promise<string[]> {
      const rows = await db
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
      return rows.map((r) => r.id)
    },
    async recordLogoutTokenId(key: string, expiresAt: Millis): Promise<boolean> {
      const result = await db.insert(logoutTokenIds).values({ key, expiresAt }).onConflictDoNothing()
      return (result.rowCount ?? 0) === 1
    },
    async deleteExpiredOidcRecords(now: Millis): Promise<number> {
      const a = (await db.delete(oidcTransactions).where(lt(oidcTransactions.expiresAt, now))).rowCount ?? 0
      const b = (await db.delete(logoutTokenIds).where(lt(logoutTokenIds.expiresAt, now))).rowCount ?? 0
      return a + b
    },
  }
}
