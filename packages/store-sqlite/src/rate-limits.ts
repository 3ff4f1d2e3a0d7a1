import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { afterFailure, type Millis, type RateLimitPolicy, type RateLimitState, type RateLimitStore } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { rateLimits } from './schema.js'

export function createRateLimitOps(db: SqliteDb): RateLimitStore {
  return {
    async getRateLimit(key: string) {
      return db.select().from(rateLimits).where(eq(rateLimits.key, key)).get() ?? null
    },
    async recordFailure(key: string, now: Millis, policy: RateLimitPolicy): Promise<RateLimitState> {
      // IMMEDIATE: the read and the write are one step for every process on the file.
      return db.transaction(
        (tx) => {
          const prev = tx.select().from(rateLimits).where(eq(rateLimits.key, key)).get() ?? null
          const next = afterFailure(prev, key, now, policy)
          tx.insert(rateLimits).values(next).onConflictDoUpdate({ target: rateLimits.key, set: next }).run()
          return next
        },
        { behavior: 'immediate' },
      )
    },
    async clearRateLimit(key: string) {
      db.delete(rateLimits).where(eq(rateLimits.key, key)).run()
    },
    async deleteStaleRateLimits(olderThan: Millis) {
      return db
        .delete(rateLimits)
        .where(and(lt(rateLimits.updatedAt, olderThan), or(isNull(rateLimits.lockedUntil), lt(rateLimits.lockedUntil, olderThan))))
        .run().changes
    },
  }
}
