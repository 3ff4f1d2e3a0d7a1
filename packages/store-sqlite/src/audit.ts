import { and, asc, desc, eq, gt, gte, isNotNull, lt, notLike, or } from 'drizzle-orm'
import { chainAuditEvent, erasedField, type AuditEvent, type AuditEventInput, type AuditFilter, type Millis } from '@gatehouse/store'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { SqliteDb } from './db.js'
import { auditEvents } from './schema.js'

export function createAuditOps(db: SqliteDb) {
  return {
    async appendAudit(input: AuditEventInput): Promise<AuditEvent> {
      // IMMEDIATE takes the write lock before reading the chain's head, so two processes on
      // one file cannot both chain onto the same previous event.
      return db.transaction(
        (tx) => {
          const head = tx
            .select({ seq: auditEvents.seq, hash: auditEvents.hash })
            .from(auditEvents)
            .orderBy(desc(auditEvents.seq))
            .limit(1)
            .get()
          const event = chainAuditEvent(head, input)
          tx.insert(auditEvents).values(event).run()
          return event
        },
        { behavior: 'immediate' },
      )
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
        .all()
    },
    async eraseAuditPersonalData(before: Millis): Promise<number> {
      const notErased = (column: SQLiteColumn) => and(isNotNull(column), notLike(column, 'erased:%'))
      return db.transaction((tx) => {
        const rows = tx
          .select({ seq: auditEvents.seq, clientIp: auditEvents.clientIp, userAgent: auditEvents.userAgent, deviceName: auditEvents.deviceName })
          .from(auditEvents)
          .where(and(lt(auditEvents.at, before), or(notErased(auditEvents.clientIp), notErased(auditEvents.userAgent), notErased(auditEvents.deviceName))))
          .all()
        for (const r of rows) {
          tx.update(auditEvents)
            .set({ clientIp: erasedField(r.clientIp), userAgent: erasedField(r.userAgent), deviceName: erasedField(r.deviceName) })
            .where(eq(auditEvents.seq, r.seq))
            .run()
        }
        return rows.length
      }, { behavior: 'immediate' })
    },
    async auditPage(afterSeq: number, limit: number): Promise<AuditEvent[]> {
      return db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit).all()
    },
  }
}
