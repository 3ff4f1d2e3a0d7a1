import { AUDIT_GENESIS, auditHash, legacyAuditHash } from './audit-chain.js'
import { StoreError } from './errors.js'
import { auditAad, sessionAad, type PersonalDataCodec } from './personal-data.js'
import type { AuditEvent } from './types.js'

/*
 * The data step of the migration that encrypts personal identifiers in an existing database
 * (each store runs it after its DDL migrations, when it is given a codec). Idempotent: sealed
 * values are left alone, and a chain already in the current form is left as it is.
 */

export interface SessionPersonalRow {
  id: string
  deviceName: string
  userAgent: string
  clientIp: string
}

/** The session's fields sealed, or null when they already are. */
export function sealSessionRow(row: SessionPersonalRow, codec: PersonalDataCodec): SessionPersonalRow | null {
  const seal = (value: string, field: 'deviceName' | 'userAgent' | 'clientIp') =>
    codec.isSealed(value) ? value : codec.seal(value, sessionAad(row.id, field))
  const sealed = { id: row.id, deviceName: seal(row.deviceName, 'deviceName'), userAgent: seal(row.userAgent, 'userAgent'), clientIp: seal(row.clientIp, 'clientIp') }
  return sealed.deviceName === row.deviceName && sealed.userAgent === row.userAgent && sealed.clientIp === row.clientIp ? null : sealed
}

/**
 * Walks the audit chain oldest first (call `next` with each stored event in order) and returns
 * each event as it must be stored now, or null when it is already so. An event from before
 * encryption (its hash covers the clear text, and a device name may sit in `details`) is
 * checked against that old hash, sealed, and re-hashed; every later event is re-linked. An
 * event that fits neither form stops the migration: re-hashing would launder tampering.
 */
export function createAuditRechainer(codec: PersonalDataCodec) {
  let storedPrev = AUDIT_GENESIS
  let newPrev = AUDIT_GENESIS
  let lastSeq = 0
  const broken = (seq: number, why: string) =>
    new StoreError('ERR_STORE_MIGRATION', `audit chain broken at event #${seq} (${why}) before encrypting personal data; run \`gatehouse audit verify\` with the previous version`)

  return {
    next(e: AuditEvent): AuditEvent | null {
      if (e.seq !== lastSeq + 1) throw broken(e.seq, 'seq_gap')
      if (e.prevHash !== storedPrev) throw broken(e.seq, 'prev_mismatch')
      lastSeq = e.seq
      let event = e
      if (auditHash(storedPrev, e.seq, e) !== e.hash) {
        if (legacyAuditHash(storedPrev, e.seq, e) !== e.hash) throw broken(e.seq, 'hash_mismatch')
        const { deviceName, ...details } = e.details
        const seal = (value: string | null, field: 'clientIp' | 'userAgent' | 'deviceName') =>
          value === null || codec.isSealed(value) ? value : codec.seal(value, auditAad(field))
        event = {
          ...e,
          clientIp: seal(e.clientIp, 'clientIp'),
          userAgent: seal(e.userAgent, 'userAgent'),
          deviceName: typeof deviceName === 'string' ? seal(deviceName, 'deviceName') : e.deviceName,
          details: typeof deviceName === 'string' ? details : e.details,
        }
      }
      storedPrev = e.hash
      const hash = auditHash(newPrev, e.seq, event)
      const changed = event !== e || newPrev !== e.prevHash || hash !== e.hash
      const result = { ...event, prevHash: newPrev, hash }
      newPrev = hash
      return changed ? result : null
    },
  }
}
