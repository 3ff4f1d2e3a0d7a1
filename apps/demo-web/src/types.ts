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
  /** The identity provider the session came from; null for a password login. */
  provider?: string | null
}

export interface LoginOptions {
  localLogin: boolean
  providers: { name: string; displayName: string; loginUrl: string }[]
}

export interface LinkedIdentity {
  provider: string
  issuer: string
  subject: string
  createdAt: string
  lastLoginAt: string | null
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
  /** Where it signed in, coarsely: an IPv4 /24 or an IPv6 /48. */
  network?: string | null
  /** The first characters of the session id, to tell two devices of one name apart. */
  shortId?: string
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
  userAgent?: string | null
  /** The user agent as a person names it ("Firefox on Linux"). */
  device?: string | null
  details: Record<string, unknown>
}

export interface RotationResult {
  kid: string
  alg: string
  emergency: boolean
  retired: string[]
  /** When the new key signs: at once after an emergency, 40 s later otherwise. */
  signsFrom: string
  /** Keys this rotation removed from the JWKS (every older one in an emergency). */
  dropped: string[]
}

export interface PublishedKey {
  kid: string
  alg: string
  state: 'next' | 'signing' | 'retiring'
  createdAt: string
  signsFrom: string
  signsUntil: string | null
  publishedUntil: string | null
}
