import { and, desc, eq, gt, isNull, lt } from 'drizzle-orm'
import type { Millis, RefreshTokenRecord, RefreshTokenRenewal, RefreshTokenRenewalResult } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { refreshTokens, sessions } from './schema.js'

const liveSession = (id: string, now: Millis) =>
  and(eq(sessions.id, id), isNull(sessions.revokedAt), gt(sessions.idleExpiresAt, now), gt(sessions.absoluteExpiresAt, now))

export function createRefreshTokenOps(db: SqliteDb) {
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
    async findCurrentRefreshToken(sessionId: string): Promise<RefreshTokenRecord | null> {
      return (
        db
          .select()
          .from(refreshTokens)
          .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.consumedAt)))
          .orderBy(desc(refreshTokens.generation))
          .limit(1)
          .get() ?? null
      )
    },
    async renewRefreshToken(r: RefreshTokenRenewal): Promise<RefreshTokenRenewalResult> {
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
