/** Epoch milliseconds. Every time in the store is one, so tests control time with a number. */
export type Millis = number

export interface User {
  id: string
  /** Normalised (trimmed, lower-case); unique. */
  username: string
  passwordHash: string
  roles: string[]
  suspendedAt: Millis | null
  passwordChangedAt: Millis
  createdAt: Millis
  updatedAt: Millis
}

export interface NewUser {
  id: string
  username: string
  passwordHash: string
  roles: string[]
  createdAt: Millis
}

export interface UserPatch {
  passwordHash?: string
  roles?: string[]
  suspendedAt?: Millis | null
}

/** Why a session ended. Kept on the session row and in the audit trail. */
export const REVOCATION_REASONS = [
  'logout',
  'device_revoked',
  'logout_everywhere',
  'password_changed',
  'roles_changed',
  'suspended',
  'user_deleted',
  'admin_revoked',
  'reuse_detected',
  'evicted',
  'expired',
  'cookie_secret_removed',
] as const
export type RevocationReason = (typeof REVOCATION_REASONS)[number]

export interface Session {
  id: string
  userId: string
  /** SHA-256 (hex) of the current cookie credential; the credential itself is never stored. */
  credentialHash: string
  /** Hash of the credential it replaced, accepted only within the rotation grace window. */
  previousCredentialHash: string | null
  credentialRotatedAt: Millis
  deviceName: string
  userAgent: string
  clientIp: string
  createdAt: Millis
  lastSeenAt: Millis
  idleExpiresAt: Millis
  absoluteExpiresAt: Millis
  revokedAt: Millis | null
  revokedReason: RevocationReason | null
}

export interface CredentialRotation {
  /** The hash the caller saw as current; the rotation only happens if it still is. */
  expectedHash: string
  newHash: string
  now: Millis
}

export interface AuditEventInput {
  type: string
  at: Millis
  userId?: string | null
  sessionId?: string | null
  clientIp?: string | null
  userAgent?: string | null
  details?: Record<string, unknown>
}

export interface AuditEvent {
  seq: number
  type: string
  at: Millis
  userId: string | null
  sessionId: string | null
  clientIp: string | null
  userAgent: string | null
  details: Record<string, unknown>
  prevHash: string
  hash: string
}

export interface AuditFilter {
  userId?: string
  type?: string
  since?: Millis
  limit?: number
}
