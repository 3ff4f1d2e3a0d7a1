import type { AuditStore } from '@gatehouse/store'
import type { Clock } from './clock.js'

/** Who and where an audited action came from. */
export interface AuditOrigin {
  clientIp?: string | null
  userAgent?: string | null
}

export interface AuditEntry extends AuditOrigin {
  userId?: string | null
  sessionId?: string | null
  details?: Record<string, unknown>
}

export type AuditLog = (type: string, entry: AuditEntry) => Promise<void>

/** Longest user agent kept; longer ones end in `…`. */
export const AUDIT_MAX_USER_AGENT = 256
/** Longest string kept anywhere in `details` (usernames, reasons, names). */
export const AUDIT_MAX_DETAIL_STRING = 128
const MAX_CLIENT_IP = 64
const MAX_DETAIL_KEYS = 16
const MAX_DEPTH = 3

const cut = (value: string, max: number): string => (value.length <= max ? value : `${value.slice(0, max - 1)}…`)

/** Bounds what a client can make one event hold: strings cut, keys and nesting limited. */
function boundDetails(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cut(value, AUDIT_MAX_DETAIL_STRING)
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '[nested]'
  if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_KEYS).map((v) => boundDetails(v, depth + 1))
  const entries = Object.entries(value).slice(0, MAX_DETAIL_KEYS)
  return Object.fromEntries(entries.map(([k, v]) => [cut(k, AUDIT_MAX_DETAIL_STRING), boundDetails(v, depth + 1)]))
}

/**
 * Appends to the store's hash-chained audit trail, stamped by the injected clock, with every
 * client-chosen field bounded in length. `observe` sees each recorded event (metrics count
 * lifecycle events from here, so they and the trail agree).
 */
export function createAuditLog(
  store: AuditStore,
  clock: Clock,
  observe?: (type: string, details: Record<string, unknown> | undefined) => void,
): AuditLog {
  return async (type, entry) => {
    const bounded: AuditEntry = {
      ...entry,
      ...(typeof entry.userAgent === 'string' ? { userAgent: cut(entry.userAgent, AUDIT_MAX_USER_AGENT) } : {}),
      ...(typeof entry.clientIp === 'string' ? { clientIp: cut(entry.clientIp, MAX_CLIENT_IP) } : {}),
      ...(entry.details === undefined ? {} : { details: boundDetails(entry.details, 0) as Record<string, unknown> }),
    }
    await store.appendAudit({ type, at: clock.now(), ...bounded })
    observe?.(type, entry.details)
  }
}
