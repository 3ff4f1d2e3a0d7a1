import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm'
import { afterRelease, reserve, type Millis, type RateLimitRequest, type RateLimitState, type RateLimitStore, type Reservation } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { rateLimits } from './schema.js'

export function createRateLimitOps(db: SqliteDb): RateLimitStore {
  return {
    async getRateLimit(key: string) {
      return db.select().from(rateLimits).where(eq(rateLimits.key, key)).get() ?? null
    },
    async reserveAttempt(requests: readonly RateLimitRequest[], now: Millis): Promise<Reservation> {
      // IMMEDIATE: the check and the count are one step for every connection and process on
      // the file; better-sqlite3 runs it synchronously, so nothing interleaves inside it.
      return db.transaction(
        (tx) => {
          const keys = requests.map((r) => r.key)
          const rows = tx.select().from(rateLimits).where(inArray(rateLimits.key, keys)).all()
          const prev = new Map<string, RateLimitState>(rows.map((r) => [r.key, r]))
          const { reservation, writes } = reserve(prev, requests, now)
          for (const next of writes) tx.insert(rateLimits).values(next).onConflictDoUpdate({ target: rateLimits.key, set: next }).run()
          return reservation
        },
        { behavior: 'immediate' },
      )
    },
    async releaseAttempt({ key, policy }: RateLimitRequest, now: Millis) {
      db.transaction(
        (tx) => {
          const next = afterRelease(tx.select().from(rateLimits).where(eq(rateLimits.key, key)).get() ?? null, now, policy)
          if (next !== null) tx.update(rateLimits).set(next).where(eq(rateLimits.key, key)).run()
        },
        { behavior: 'immediate' },
      )
    },
    async markRateLimitKey(key: string, now: Millis, keepUntil: Millis) {
      const row = { key, windowStart: now, failures: 0, lockouts: 0, lockedUntil: keepUntil, refused: 0, updatedAt: now }
      db.insert(rateLimits).values(row).onConflictDoUpdate({ target: rateLimits.key, set: row }).run()
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
