import { and, desc, gt, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { KeyRetirement, Millis, SigningKeyRecord } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { LOCKS, xactLock } from './locks.js'
import { signingKeys } from './schema.js'

// Every column but the insertion ordinal, so rows come back exactly as the record went in.
const record = {
  kid: signingKeys.kid,
  alg: signingKeys.alg,
  publicJwk: signingKeys.publicJwk,
  privateKeyEnc: signingKeys.privateKeyEnc,
  createdAt: signingKeys.createdAt,
  retiredAt: signingKeys.retiredAt,
  publishUntil: signingKeys.publishUntil,
}

const isCurrent = isNull(signingKeys.retiredAt)

// Writers of keys take one advisory lock for the transaction. Row locks would not serialize
// them: the current key a second rotation must retire is a row inserted by the first, which
// the second's statement snapshot cannot see. With the lock, each statement after it sees every
// earlier rotation committed. The partial unique index (one unretired key) is the backstop.
export function createSigningKeyOps(db: PgDb) {
  return {
    async listPublishedSigningKeys(now: Millis): Promise<SigningKeyRecord[]> {
      return db
        .select(record)
        .from(signingKeys)
        .where(or(isNull(signingKeys.publishUntil), gt(signingKeys.publishUntil, now)))
        .orderBy(desc(signingKeys.createdAt), desc(signingKeys.ordinal))
    },
    async addFirstSigningKey(key: SigningKeyRecord): Promise<boolean> {
      return db.transaction(async (tx) => {
        await tx.execute(xactLock(LOCKS.signingKeys))
        const [current] = await tx.select({ kid: signingKeys.kid }).from(signingKeys).where(isCurrent).limit(1)
        if (current) return false
        await tx.insert(signingKeys).values({ ...key, retiredAt: null, publishUntil: null })
        return true
      })
    },
    async rotateSigningKey(key: SigningKeyRecord, retire: KeyRetirement): Promise<string[]> {
      return db.transaction(async (tx) => {
        await tx.execute(xactLock(LOCKS.signingKeys))
        const retired = await tx.update(signingKeys).set({ retiredAt: retire.at }).where(isCurrent).returning({ kid: signingKeys.kid })
        // Never extends a window: a key already leaving earlier keeps its own time.
        await tx
          .update(signingKeys)
          .set({ publishUntil: retire.publishUntil })
          .where(or(isNull(signingKeys.publishUntil), gt(signingKeys.publishUntil, retire.publishUntil)))
        await tx.insert(signingKeys).values({ ...key, retiredAt: null, publishUntil: null })
        return retired.map((r) => r.kid)
      })
    },
    async deleteUnpublishedSigningKeys(olderThan: Millis): Promise<number> {
      const result = await db.delete(signingKeys).where(and(isNotNull(signingKeys.retiredAt), lt(signingKeys.publishUntil, olderThan)))
      return result.rowCount ?? 0
    },
  }
}
