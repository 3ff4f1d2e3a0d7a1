import { isIP } from 'node:net'
import { asc, eq, gt, like } from 'drizzle-orm'
import { createAuditRechainer, sealSessionRow, type PersonalDataCodec } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { auditEvents, rateLimits, sessions } from './schema.js'

const PAGE = 1000
const UPDATE_TRIGGER = 'audit_events_only_personal_fields'

/**
 * The data step after the DDL migrations: seals the personal fields of sessions and audit
 * events written in clear by earlier versions, re-links the audit chain over them (see
 * `createAuditRechainer`), and drops rate-limit rows keyed by a clear client address (their
 * keys are keyed hashes now). One IMMEDIATE transaction; a no-op once done. When it changed
 * anything, the file is vacuumed and the WAL checkpointed and truncated, so the clear text is
 * gone from the disk too, not just from the rows (secure_delete zeroes what is freed).
 */
export function migrateSqlitePersonalData(db: SqliteDb, codec: PersonalDataCodec): void {
  const client = db.$client
  let changed = false
  db.transaction(
    (tx) => {
      for (const row of tx.select({ id: sessions.id, deviceName: sessions.deviceName, userAgent: sessions.userAgent, clientIp: sessions.clientIp }).from(sessions).all()) {
        const sealed = sealSessionRow(row, codec)
        if (sealed !== null) {
          tx.update(sessions).set(sealed).where(eq(sessions.id, row.id)).run()
          changed = true
        }
      }

      for (const { key } of tx.select({ key: rateLimits.key }).from(rateLimits).where(like(rateLimits.key, 'ip:%')).all()) {
        if (isIP(key.slice(3)) !== 0) {
          tx.delete(rateLimits).where(eq(rateLimits.key, key)).run()
          changed = true
        }
      }

      const rechainer = createAuditRechainer(codec)
      // The trigger refuses re-linking; it is set aside for this transaction only, and put back
      // exactly as it was (its own SQL), so a failure leaves it untouched.
      const trigger = client.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").pluck().get(UPDATE_TRIGGER) as string | undefined
      let triggerDropped = false
      let after = 0
      for (;;) {
        const page = tx.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(PAGE).all()
        for (const event of page) {
          const next = rechainer.next(event)
          if (next === null) continue
          if (!triggerDropped && trigger !== undefined) {
            client.exec(`DROP TRIGGER ${UPDATE_TRIGGER}`)
            triggerDropped = true
          }
          const { seq, ...fields } = next
          tx.update(auditEvents).set(fields).where(eq(auditEvents.seq, seq)).run()
          changed = true
        }
        if (page.length < PAGE) break
        after = page[page.length - 1]!.seq
      }
      if (triggerDropped) client.exec(trigger!)
    },
    { behavior: 'immediate' },
  )
  if (changed) {
    client.exec('VACUUM')
    client.pragma('wal_checkpoint(TRUNCATE)')
  }
}
