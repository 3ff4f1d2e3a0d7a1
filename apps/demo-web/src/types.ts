// The shapes of the gateway's answers (CONTRACT.md, sections 2 and 5).

export interface User {
  id: string
  username: string
  roles: string[]
}

export interface Session {
  id: string
  deviceName: string
  createdAt: string
  lastSeenAt?: string
  /** When the session ends if left idle (the nearer of idle and absolute expiry). */
  expiresAt: string
  absoluteExpiresAt?: string
}

export interface Me {
  user: User
  session: Session
}

export interface Device {
  id: string
  deviceName: string
  userAgent: string | null
  createdAt: string
  lastSeenAt: string
  current: boolean
  clientIp?: string | null
  /** Admin view only: what the anomaly policy flagged on this session, newest first. */
  anomalies?: SessionAnomaly[]
}

export interface SessionAnomaly {
  at: string
  anomalies: string[]
  action: string
  clientIp: string | null
  userAgent: string | null
}

export interface AdminUser extends User {
  suspended: boolean
  suspendedAt: string | null
  createdAt: string
  passwordChangedAt: string
}

export interface AuditEvent {
  seq: number
  type: string
  at: string
  userId: string | null
  sessionId: string | null
  clientIp: string | null
  details: Record<string, unknown>
}

export interface RotationResult {
  kid: string
  alg: string
  emergency: boolean
  retired: string[]
}
