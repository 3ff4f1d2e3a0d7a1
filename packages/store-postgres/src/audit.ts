import { and, asc, desc, eq, gt, gte, isNotNull, lt, notLike, or } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import { chainAuditEvent, erasedField, type AuditEvent, type AuditEventInput, type AuditFilter, type Millis } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { LOCKS, xactLock } from './locks.js'
import { auditEvents } from './schema.js'

export function createAuditOps(db: PgDb) {
  return {
    async appendAudit(input: AuditEventInput): Promise<AuditEvent> {
      // Appends are serialized by a transaction-scoped advisory lock taken before the chain's
      // head is read, so two gateways never chain onto the same previous event. (Locking the
      // head row would not do: an empty table has none, and a row lock does not stop a second
      // reader from seeing the same head.) Under READ COMMITTED the head query, run after the
      // lock is granted, sees the previous holder's committed event. The primary key on `seq`
      // is the last guard.
      return db.transaction(async (tx) => {
        await tx.execute(xactLock(LOCKS.audit))
        const [head] = await tx
          .select({ seq: auditEvents.seq, hash: auditEvents.hash })
          .from(auditEvents)
          .orderBy(desc(auditEvents.seq))
          .limit(1)
        const event = chainAuditEvent(head, input)
        await tx.insert(auditEvents).values(event)
        return event
      })
    },
    async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
      return db
        .select()
        .from(auditEvents)
        .where(
          and(
            filter.userId === undefined ? undefined : eq(auditEvents.userId, filter.userId),
            filter.type === undefined ? undefined : eq(auditEvents.type, filter.type),
            filter.since === undefined ? undefined : gte(auditEvents.at, filter.since),
          ),
        )
        .orderBy(desc(auditEvents.seq))
        .limit(filter.limit ?? 100)
    },
    async eraseAuditPersonalData(before: Millis): Promise<number> {
      const notErased = (column: PgColumn) => and(isNotNull(column), notLike(column, 'erased:%'))
      // Under the append lock, like an append: two gateways' prune jobs erase each event once.
      return db.transaction(async (tx) => {
        await tx.execute(xactLock(LOCKS.audit))
        const rows = await tx
          .select({ seq: auditEvents.seq, clientIp: auditEvents.clientIp, userAgent: auditEvents.userAgent, deviceName: auditEvents.deviceName })
          .from(auditEvents)
          .where(and(lt(auditEvents.at, before), or(notErased(auditEvents.clientIp), notErased(auditEvents.userAgent), notErased(auditEvents.deviceName))))
        for (const r of rows) {
          await tx
            .update(auditEvents)
            .set({ clientIp: erasedField(r.clientIp), userAgent: erasedField(r.userAgent), deviceName: erasedField(r.deviceName) })
            .where(eq(auditEvents.seq, r.seq))
        }
        return rows.length
      })
    },
    async auditPage(afterSeq: number, limit: number): Promise<AuditEvent[]> {
      return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit)
    },
  }
}
