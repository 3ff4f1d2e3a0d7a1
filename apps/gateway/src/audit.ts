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

/**
 * Appends to the store's hash-chained audit trail, stamped by the injected clock. `observe` sees
 * each recorded event (metrics count lifecycle events from here, so they and the trail agree).
 */
export function createAuditLog(
  store: AuditStore,
  clock: Clock,
  observe?: (type: string, details: Record<string, unknown> | undefined) => void,
): AuditLog {
  return async (type, entry) => {
    await store.appendAudit({ type, at: clock.now(), ...entry })
    observe?.(type, entry.details)
  }
}
