import { and, desc, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { KeyRetirement, Millis, SigningKeyRecord } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { signingKeys } from './schema.js'

export function createSigningKeyOps(db: SqliteDb) {
  const isCurrent = isNull(signingKeys.retiredAt)
  return {
    async listPublishedSigningKeys(now: Millis): Promise<SigningKeyRecord[]> {
      return db
        .select()
        .from(signingKeys)
        .where(or(isNull(signingKeys.publishUntil), gt(signingKeys.publishUntil, now)))
        .orderBy(desc(signingKeys.createdAt), desc(sql`rowid`))
        .all()
    },
    async addFirstSigningKey(key: SigningKeyRecord): Promise<boolean> {
      // IMMEDIATE: the check and the insert happen under the write lock, so two gateways
      // starting on one file cannot both see "no key" and both insert one.
      return db.transaction(
        (tx) => {
          if (tx.select({ kid: signingKeys.kid }).from(signingKeys).where(isCurrent).limit(1).get()) return false
          tx.insert(signingKeys).values({ ...key, retiredAt: null, publishUntil: null }).run()
          return true
        },
        { behavior: 'immediate' },
      )
    },
    async rotateSigningKey(key: SigningKeyRecord, retire: KeyRetirement): Promise<string[]> {
      return db.transaction(
        (tx) => {
          const retired = tx.update(signingKeys).set({ retiredAt: retire.at }).where(isCurrent).returning({ kid: signingKeys.kid }).all()
          // Never extends a window: a key already leaving earlier keeps its own time.
          tx.update(signingKeys)
            .set({ publishUntil: retire.publishUntil })
            .where(or(isNull(signingKeys.publishUntil), gt(signingKeys.publishUntil, retire.publishUntil)))
            .run()
          tx.insert(signingKeys).values({ ...key, retiredAt: null, publishUntil: null }).run()
          return retired.map((r) => r.kid)
        },
        { behavior: 'immediate' },
      )
    },
    async deleteUnpublishedSigningKeys(olderThan: Millis): Promise<number> {
      return db
        .delete(signingKeys)
        .where(and(isNotNull(signingKeys.retiredAt), lt(signingKeys.publishUntil, olderThan)))
        .run().changes
    },
  }
}
