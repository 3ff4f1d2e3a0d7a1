import { createHash } from 'node:crypto'
import type { AuditEvent, AuditEventInput } from './types.js'

/** The hash that starts the chain. */
export const AUDIT_GENESIS = '0'.repeat(64)

/** What an erased personal field holds: the digest the chain hash covered, and nothing else. */
export const ERASED_PREFIX = 'erased:'

/** JSON with sorted keys, so the same event always hashes the same in every store. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * A personal field as the chain hash sees it: the SHA-256 of the stored value (ciphertext), or
 * the digest an erasure left in its place. So retention can erase the value and keep the
 * digest, and the chain still verifies; changing or moving a stored value still breaks it.
 */
export function personalFieldDigest(stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null
  return stored.startsWith(ERASED_PREFIX) ? stored.slice(ERASED_PREFIX.length) : sha256(stored)
}

/** The stored form of an erased field. */
export function erasedField(stored: string | null): string | null {
  if (stored === null || stored.startsWith(ERASED_PREFIX)) return stored
  return `${ERASED_PREFIX}${sha256(stored)}`
}

/**
 * The hash of one event over its stored form. An event without personal fields hashes exactly
 * as before personal fields were digested (`legacyAuditHash`), so only events that had some
 * changed when existing databases were migrated.
 */
export function auditHash(prevHash: string, seq: number, event: AuditEventInput): string {
  return chainHash(prevHash, {
    seq,
    type: event.type,
    at: event.at,
    userId: event.userId ?? null,
    sessionId: event.sessionId ?? null,
    clientIp: personalFieldDigest(event.clientIp),
    userAgent: personalFieldDigest(event.userAgent),
    // Absent rather than null, so events without one hash as they always did.
    deviceName: personalFieldDigest(event.deviceName) ?? undefined,
    details: event.details ?? {},
  })
}

/** The hash before personal fields were encrypted: over their clear text. For the migration only. */
export function legacyAuditHash(prevHash: string, seq: number, event: AuditEventInput): string {
  return chainHash(prevHash, {
    seq,
    type: event.type,
    at: event.at,
    userId: event.userId ?? null,
    sessionId: event.sessionId ?? null,
    clientIp: event.clientIp ?? null,
    userAgent: event.userAgent ?? null,
    details: event.details ?? {},
  })
}

function chainHash(prevHash: string, body: Record<string, unknown>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(body)).digest('hex')
}

/** The next link of the chain after `head` (undefined for the first event). */
export function chainAuditEvent(head: { seq: number; hash: string } | undefined, input: AuditEventInput): AuditEvent {
  const seq = (head?.seq ?? 0) + 1
  const prevHash = head?.hash ?? AUDIT_GENESIS
  return {
    seq,
    type: input.type,
    at: input.at,
    userId: input.userId ?? null,
    sessionId: input.sessionId ?? null,
    clientIp: input.clientIp ?? null,
    userAgent: input.userAgent ?? null,
    deviceName: input.deviceName ?? null,
    details: input.details ?? {},
    prevHash,
    hash: auditHash(prevHash, seq, input),
  }
}

export type AuditChainResult =
  | { ok: true; checked: number }
  | { ok: false; checked: number; brokenAt: number; why: 'hash_mismatch' | 'prev_mismatch' | 'seq_gap' }

/** Walks the chain oldest first and names the first event that does not fit. */
export async function verifyAuditChain(
  page: (afterSeq: number, limit: number) => Promise<AuditEvent[]>,
  pageSize = 1000,
): Promise<AuditChainResult> {
  let prev = AUDIT_GENESIS
  let lastSeq = 0
  let checked = 0
  for (;;) {
    const events = await page(lastSeq, pageSize)
    for (const e of events) {
      if (e.seq !== lastSeq + 1) return { ok: false, checked, brokenAt: e.seq, why: 'seq_gap' }
      if (e.prevHash !== prev) return { ok: false, checked, brokenAt: e.seq, why: 'prev_mismatch' }
      if (auditHash(prev, e.seq, e) !== e.hash) return { ok: false, checked, brokenAt: e.seq, why: 'hash_mismatch' }
      prev = e.hash
      lastSeq = e.seq
      checked++
    }
    if (events.length < pageSize) return { ok: true, checked }
  }
}
