import { and, asc, gt, gte, lt, lte, max } from 'drizzle-orm'
import type { Millis, RevocationPage, RevocationQuery } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { revocationFeed } from './schema.js'

/** Reads and prunes the revocation feed; its rows are written by a trigger on `sessions`. */
export function createRevocationEntryOps(db: SqliteDb) {
  return {
    async listRevocations({ after, endedSince, limit }: RevocationQuery): Promise<RevocationPage> {
      // One transaction: the head and the page come from the same snapshot of the file.
      return db.transaction((tx) => {
        const head = tx.select({ head: max(revocationFeed.seq) }).from(revocationFeed).get()?.head ?? 0
        const entries = tx
          .select()
          .from(revocationFeed)
          .where(and(gt(revocationFeed.seq, after), lte(revocationFeed.seq, head), gte(revocationFeed.endedAt, endedSince)))
          .orderBy(asc(revocationFeed.seq))
          .limit(limit)
          .all()
        return { entries, head }
      })
    },
    async deleteRevocations(endedBefore: Millis): Promise<number> {
      return db.delete(revocationFeed).where(lt(revocationFeed.endedAt, endedBefore)).run().changes
    },
  }
}

