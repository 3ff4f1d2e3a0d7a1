/** Epoch milliseconds from an injected clock, so expiry and rotation tests move time by hand. */
export interface Clock {
  now(): number
}

/** Who and where an audited action came from; the gateway's audit log has this shape. */
export interface AuditEntry {
  userId?: string | null
  sessionId?: string | null
  clientIp?: string | null
  userAgent?: string | null
  details?: Record<string, unknown>
}

export type TokenAudit = (type: string, entry: AuditEntry) => Promise<void>

/** Who asked for an operation (an admin, the CLI), recorded as `by` in the audit trail. */
export interface ActionOrigin {
  actor: string
  userId?: string | null
  clientIp?: string | null
  userAgent?: string | null
}
