import { and, asc, gt, gte, lt, lte, max } from 'drizzle-orm'
import type { Millis, RevocationPage, RevocationQuery } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { revocationFeed } from './schema.js'

/** Reads and prunes the revocation feed; its rows are written by a trigger on `sessions`. */
export function createRevocationEntryOps(db: PgDb) {
  return {
    async listRevocations({ after, endedSince, limit }: RevocationQuery): Promise<RevocationPage> {
      // The head first: rows commit in seq order (the trigger's lock), so every row up to a
      // committed head is visible to the next statement, and nothing beyond it is returned.
      const [row] = await db.select({ head: max(revocationFeed.seq) }).from(revocationFeed)
      const head = row?.head ?? 0
      const entries = await db
        .select()
        .from(revocationFeed)
        .where(and(gt(revocationFeed.seq, after), lte(revocationFeed.seq, head), gte(revocationFeed.endedAt, endedSince)))
        .orderBy(asc(revocationFeed.seq))
        .limit(limit)
      return { entries, head }
    },
    async deleteRevocations(endedBefore: Millis): Promise<number> {
      const result = await db.delete(revocationFeed).where(lt(revocationFeed.endedAt, endedBefore))
      return result.rowCount ?? 0
    },
  }
}
