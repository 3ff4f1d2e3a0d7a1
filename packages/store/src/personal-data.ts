import { ERASED_PREFIX } from './audit-chain.js'
import { StoreError } from './errors.js'
import type { Store } from './store.js'
import type { AuditEvent, AuditEventInput, Session } from './types.js'

/**
 * Encryption of personal identifiers at rest, as the store needs it (implemented by
 * @gatehouse/tokens' `createPersonalDataCodec`, keyed from GATEHOUSE_MASTER_KEY).
 */
export interface PersonalDataCodec {
  seal(value: string, aad: string): string
  open(sealed: string, aad: string): string
  /** A ciphertext of this codec (anything else is clear text from before encryption). */
  isSealed(value: string): boolean
}

type SessionField = 'deviceName' | 'userAgent' | 'clientIp'
type AuditField = 'deviceName' | 'userAgent' | 'clientIp'

/** What a ciphertext is bound to, so one moved to another row or field does not open. */
export const sessionAad = (sessionId: string, field: SessionField) => `session.${sessionId}.${field}`
export const auditAad = (field: AuditField) => `audit.${field}`

type Wrapped = Pick<
  Store,
  'createSession' | 'findSession' | 'findSessionWithUser' | 'revokeSession' | 'listActiveSessions' | 'expireSessions' | 'appendAudit' | 'listAudit'
>

/**
 * Seals device names, user agents and client addresses on their way into sessions and audit
 * events, and opens them on the way out, so everything above the store sees clear text and the
 * tables hold only ciphertext. `auditPage` (the chain walk) is left as stored. The lookup on
 * every request (`findSessionWithUser`) reads only the device name of the three, so it opens
 * only that.
 *
 * Opened values are remembered (bounded) by their ciphertext, so a session read again costs a
 * map lookup per field, not an AES-GCM operation.
 */
export function withPersonalData<T extends Wrapped>(ops: T, codec: PersonalDataCodec, memoSize = 30_000): T {
  // Keyed by ciphertext; the owner and field are checked too, so a ciphertext copied to another
  // row is still refused (by its AAD) rather than answered from memory. Nothing is allocated on a hit.
  const memo = new Map<string, { owner: string; field: string; clear: string }>()
  const open = (stored: string, owner: string, field: SessionField, aad: (owner: string, field: SessionField) => string): string => {
    if (!codec.isSealed(stored)) return stored
    const hit = memo.get(stored)
    if (hit !== undefined && hit.owner === owner && hit.field === field) return hit.clear
    let clear: string
    try {
      clear = codec.open(stored, aad(owner, field))
    } catch (cause) {
      throw new StoreError('ERR_STORE_UNREADABLE', `a sealed ${field} does not open: ${(cause as Error).message}`, { cause })
    }
    if (memo.size >= memoSize) memo.clear()
    memo.set(stored, { owner, field, clear })
    return clear
  }
  const auditAadOf = (_owner: string, field: AuditField) => auditAad(field)
  // The stores hand out fresh objects (the lookup cache copies), so opening in place is safe.
  const openSession = (s: Session): Session => {
    s.deviceName = open(s.deviceName, s.id, 'deviceName', sessionAad)
    s.userAgent = open(s.userAgent, s.id, 'userAgent', sessionAad)
    s.clientIp = open(s.clientIp, s.id, 'clientIp', sessionAad)
    return s
  }
  const openDeviceName = <F extends { session: { id: string; deviceName: string } } | null>(found: F): F => {
    if (found !== null) found.session.deviceName = open(found.session.deviceName, found.session.id, 'deviceName', sessionAad)
    return found
  }
  const sealAudit = (value: string | null | undefined, field: AuditField) =>
    value === null || value === undefined ? null : codec.seal(value, auditAad(field))
  const openAudit = (value: string | null, field: AuditField) =>
    value === null || value.startsWith(ERASED_PREFIX) ? null : open(value, '', field, auditAadOf)
  const openEvent = (e: AuditEvent): AuditEvent => ({
    ...e,
    clientIp: openAudit(e.clientIp, 'clientIp'),
    userAgent: openAudit(e.userAgent, 'userAgent'),
    deviceName: openAudit(e.deviceName, 'deviceName'),
  })

  return {
    ...ops,
    async createSession(session: Session) {
      await ops.createSession({
        ...session,
        deviceName: codec.seal(session.deviceName, sessionAad(session.id, 'deviceName')),
        userAgent: codec.seal(session.userAgent, sessionAad(session.id, 'userAgent')),
        clientIp: codec.seal(session.clientIp, sessionAad(session.id, 'clientIp')),
      })
    },
    async findSession(id: string) {
      const s = await ops.findSession(id)
      return s === null ? null : openSession(s)
    },
    // Not an async function: one promise less on the lookup every request makes.
    findSessionWithUser(id: string, options?: { fresh?: boolean }) {
      return ops.findSessionWithUser(id, options).then(openDeviceName)
    },
    async revokeSession(...args: Parameters<Store['revokeSession']>) {
      const s = await ops.revokeSession(...args)
      return s === null ? null : openSession(s)
    },
    async listActiveSessions(...args: Parameters<Store['listActiveSessions']>) {
      return (await ops.listActiveSessions(...args)).map(openSession)
    },
    async expireSessions(now: number) {
      return (await ops.expireSessions(now)).map(openSession)
    },
    async appendAudit(input: AuditEventInput) {
      const event = await ops.appendAudit({
        ...input,
        clientIp: sealAudit(input.clientIp, 'clientIp'),
        userAgent: sealAudit(input.userAgent, 'userAgent'),
        deviceName: sealAudit(input.deviceName, 'deviceName'),
      })
      return { ...event, clientIp: input.clientIp ?? null, userAgent: input.userAgent ?? null, deviceName: input.deviceName ?? null }
    },
    async listAudit(...args: Parameters<Store['listAudit']>) {
      return (await ops.listAudit(...args)).map(openEvent)
    },
  }
}
