import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { afterFailure, type Millis, type RateLimitPolicy, type RateLimitState, type RateLimitStore } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { rateLimits } from './schema.js'

export function createRateLimitOps(db: PgDb): RateLimitStore {
  return {
    async getRateLimit(key: string) {
      const [row] = await db.select().from(rateLimits).where(eq(rateLimits.key, key))
      return row ?? null
    },
    async recordFailure(key: string, now: Millis, policy: RateLimitPolicy): Promise<RateLimitState> {
      // `afterFailure` is plain JavaScript, so the read-modify-write runs in a transaction that
      // holds the row lock (SELECT … FOR UPDATE) from the read to the commit: a failure counted
      // on another gateway waits, then reads this one's result. A missing row cannot be locked;
      // the first insert wins through ON CONFLICT DO NOTHING (which waits for a racing insert to
      // commit), and a loser goes round again, now finding a row to lock.
      return db.transaction(async (tx) => {
        for (let attempt = 0; ; attempt++) {
          const [prev] = await tx.select().from(rateLimits).where(eq(rateLimits.key, key)).for('update')
          const next = afterFailure(prev ?? null, key, now, policy)
          if (prev) {
            await tx.update(rateLimits).set(next).where(eq(rateLimits.key, key))
            return next
          }
          const inserted = await tx.insert(rateLimits).values(next).onConflictDoNothing().returning({ key: rateLimits.key })
          if (inserted.length === 1) return next
          // Only a concurrent clearRateLimit between our two statements brings us back here twice.
          if (attempt >= 5) throw new Error('rate limit row kept changing under recordFailure')
        }
      })
    },
    async clearRateLimit(key: string) {
      await db.delete(rateLimits).where(eq(rateLimits.key, key))
    },
    async deleteStaleRateLimits(olderThan: Millis) {
      const result = await db
        .delete(rateLimits)
        .where(and(lt(rateLimits.updatedAt, olderThan), or(isNull(rateLimits.lockedUntil), lt(rateLimits.lockedUntil, olderThan))))
      return result.rowCount ?? 0
    },
  }
}
