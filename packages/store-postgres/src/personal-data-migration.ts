import { isIP } from 'node:net'
import { asc, eq, gt, like } from 'drizzle-orm'
import { createAuditRechainer, sealSessionRow, type PersonalDataCodec } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { LOCKS, xactLock } from './locks.js'
import { auditEvents, rateLimits, sessions } from './schema.js'

const PAGE = 1000

/**
 * The data step after the DDL migrations (see the SQLite twin): seals personal fields stored in
 * clear by earlier versions, re-links the audit chain over them, and drops rate-limit rows keyed
 * by a clear address. One transaction, under the audit append lock; a no-op once done. When it
 * changed anything, VACUUM FULL rewrites the three tables, so the old row versions with the clear
 * text leave the table files too (a dump never had them).
 */
export async function migratePostgresPersonalData(db: PgDb, codec: PersonalDataCodec): Promise<void> {
  let changed = false
  await db.transaction(async (tx) => {
    await tx.execute(xactLock(LOCKS.audit))
    const rows = await tx.select({ id: sessions.id, deviceName: sessions.deviceName, userAgent: sessions.userAgent, clientIp: sessions.clientIp }).from(sessions)
    for (const row of rows) {
      const sealed = sealSessionRow(row, codec)
      if (sealed !== null) {
        await tx.update(sessions).set(sealed).where(eq(sessions.id, row.id))
        changed = true
      }
    }

    for (const { key } of await tx.select({ key: rateLimits.key }).from(rateLimits).where(like(rateLimits.key, 'ip:%'))) {
      if (isIP(key.slice(3)) !== 0) {
        await tx.delete(rateLimits).where(eq(rateLimits.key, key))
        changed = true
      }
    }

    const rechainer = createAuditRechainer(codec)
    let triggerOff = false
    let after = 0
    for (;;) {
      const page = await tx.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(PAGE)
      for (const event of page) {
        const next = rechainer.next(event)
        if (next === null) continue
        if (!triggerOff) {
          // The append-only trigger refuses re-linking; off for this transaction only (a failure
          // rolls the ALTER back with everything else).
          await tx.execute('ALTER TABLE "audit_events" DISABLE TRIGGER "audit_events_no_update_or_delete"')
          triggerOff = true
        }
        const { seq, ...fields } = next
        await tx.update(auditEvents).set(fields).where(eq(auditEvents.seq, seq))
        changed = true
      }
      if (page.length < PAGE) break
      after = page[page.length - 1]!.seq
    }
    if (triggerOff) await tx.execute('ALTER TABLE "audit_events" ENABLE TRIGGER "audit_events_no_update_or_delete"')
  })
  if (changed) await db.execute('VACUUM FULL "sessions", "audit_events", "rate_limits"')
}
