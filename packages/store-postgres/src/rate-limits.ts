import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import { afterRelease, reserve, type Millis, type RateLimitRequest, type RateLimitState, type RateLimitStore, type Reservation } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { rateLimits } from './schema.js'

/** A row that counts nothing yet: `afterAttempt` treats it like no row at all. */
const emptyRow = (key: string, now: Millis): RateLimitState => ({
  key,
  windowStart: now,
  failures: 0,
  lockouts: 0,
  lockedUntil: null,
  refused: 0,
  updatedAt: now,
})

export function createRateLimitOps(db: PgDb): RateLimitStore {
  return {
    async getRateLimit(key: string) {
      const [row] = await db.select().from(rateLimits).where(eq(rateLimits.key, key))
      return row ?? null
    },
    async reserveAttempt(requests: readonly RateLimitRequest[], now: Millis): Promise<Reservation> {
      // `reserve` is plain JavaScript, so the check and the count run in a transaction that holds
      // every key's row lock (SELECT … FOR UPDATE) from the read to the commit: an attempt on
      // another gateway waits, then reads this one's result. Missing rows cannot be locked, so
      // they are inserted empty first (ON CONFLICT DO NOTHING waits for a racing insert). Keys
      // are inserted and locked in one order (byte order, as JavaScript sorts them), so two
      // reservations never deadlock.
      const keys = [...new Set(requests.map((r) => r.key))].sort()
      // While a key is locked, refuse without inserting or locking anything: a flood of refused
      // attempts (random usernames, say) adds no rows and costs no writes. Locks only ever lapse
      // or are lifted by a success, so refusing on a state read a moment ago admits nothing extra.
      const current = await db.select().from(rateLimits).where(inArray(rateLimits.key, keys))
      const early = reserve(new Map(current.map((r) => [r.key, r])), requests, now).reservation
      if (!early.allowed) {
        // Exactly one refusal per lockout is the first, whichever gateway answers it.
        const marked = await db
          .update(rateLimits)
          .set({ refused: 1 })
          .where(and(eq(rateLimits.key, early.key), eq(rateLimits.refused, 0)))
          .returning({ key: rateLimits.key })
        return { ...early, firstRefusal: marked.length === 1 }
      }
      for (let attempt = 0; ; attempt++) {
        const reservation = await db.transaction(async (tx) => {
          await tx
            .insert(rateLimits)
            .values(keys.map((k) => emptyRow(k, now)))
            .onConflictDoNothing()
          const rows = await tx.select().from(rateLimits).where(inArray(rateLimits.key, keys)).orderBy(sql`${rateLimits.key} collate "C"`).for('update')
          // Only pruning between our two statements deletes a row (clearing resets it); start over
          // in a new transaction rather than insert again while holding the other rows' locks.
          if (rows.length < keys.length) return undefined
          const { reservation, writes } = reserve(new Map(rows.map((r) => [r.key, r])), requests, now)
          for (const next of writes) await tx.update(rateLimits).set(next).where(eq(rateLimits.key, next.key))
          return reservation
        })
        if (reservation !== undefined) return reservation
        if (attempt >= 5) throw new Error('rate limit rows kept disappearing under reserveAttempt')
      }
    },
    async releaseAttempt({ key, policy }: RateLimitRequest, now: Millis) {
      await db.transaction(async (tx) => {
        const [row] = await tx.select().from(rateLimits).where(eq(rateLimits.key, key)).for('update')
        const next = afterRelease(row ?? null, now, policy)
        if (next !== null) await tx.update(rateLimits).set(next).where(eq(rateLimits.key, key))
      })
    },
    async markRateLimitKey(key: string, now: Millis, keepUntil: Millis) {
      const row = { ...emptyRow(key, now), lockedUntil: keepUntil }
      await db.insert(rateLimits).values(row).onConflictDoUpdate({ target: rateLimits.key, set: row })
    },
    async clearRateLimit(key: string) {
      // Reset, not deleted: a reservation holding other keys' locks may be about to lock this row,
      // and a deleted row would send it round again (see reserveAttempt).
      await db.update(rateLimits).set({ failures: 0, lockouts: 0, lockedUntil: null, refused: 0 }).where(eq(rateLimits.key, key))
    },
    async deleteStaleRateLimits(olderThan: Millis) {
      const result = await db
        .delete(rateLimits)
        .where(and(lt(rateLimits.updatedAt, olderThan), or(isNull(rateLimits.lockedUntil), lt(rateLimits.lockedUntil, olderThan))))
      return result.rowCount ?? 0
    },
  }
}
