import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import type { Millis, RefreshTokenRecord, RefreshTokenRenewal, RefreshTokenRenewalResult } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { refreshTokens, sessions } from './schema.js'
import { liveSession } from './sessions.js'

export function createRefreshTokenOps(db: PgDb) {
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
    async findCurrentRefreshToken(sessionId: string): Promise<RefreshTokenRecord | null> {
      const [row] = await db
        .select()
        .from(refreshTokens)
        .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.consumedAt)))
        .orderBy(desc(refreshTokens.generation))
        .limit(1)
      return row ?? null
    },
    async renewRefreshToken(r: RefreshTokenRenewal): Promise<RefreshTokenRenewalResult> {
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
        return { outcome: 'renewed', successor }
      })
    },
    async deleteConsumedRefreshTokens(olderThan: Millis): Promise<number> {
      const result = await db.delete(refreshTokens).where(lt(refreshTokens.consumedAt, olderThan))
      return (result.rowCount ?? 0)
    },
  }
}
