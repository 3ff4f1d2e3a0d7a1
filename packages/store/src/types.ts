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
  /** The identity provider ended the user's session there (back-channel logout). */
  'idp_logout',
  /** The identity provider refused the session's refresh token (invalid_grant). */
  'idp_revoked',
  /** The anomaly policy (GATEHOUSE_CONFIG `anomalies`) ended it. */
  'anomaly',
] as const
export type RevocationReason = (typeof REVOCATION_REASONS)[number]

export interface Session {
  id: string
  userId: string
  /** SHA-256 (hex) of the current cookie credential; the credential itself is never stored. */
  credentialHash: string
  /**
   * The credentials it replaced, newest first, each with the time it was rotated out: each is
   * accepted only within the rotation grace window after its own rotation. Bounded by the
   * caller (credentials past their grace are not kept).
   */
  previousCredentials: readonly PreviousCredential[]
  credentialRotatedAt: Millis
  /** Personal: stored as ciphertext when the store has a PersonalDataCodec; read back in clear. */
  deviceName: string
  userAgent: string
  clientIp: string
  /**
   * Keyed hashes of the user agent's family (browser and OS) and of the client network (/24, /64)
   * the anomaly check compares against; null for a session from before they were recorded.
   */
  uaFamilyHash: string | null
  networkHash: string | null
  createdAt: Millis
  lastSeenAt: Millis
  idleExpiresAt: Millis
  absoluteExpiresAt: Millis
  revokedAt: Millis | null
  revokedReason: RevocationReason | null
}

/**
 * A session as the lookup on every request reads it (`findSessionWithUser`): without the user
 * agent and client address it was created from. Nothing on that path needs them, so they are
 * neither read nor decrypted there; the device and admin lists read whole sessions
 * (`findSession`, `listActiveSessions`). The device name stays: `GET /auth/session` shows it.
 */
export type SessionState = Omit<Session, 'userAgent' | 'clientIp'>

export interface PreviousCredential {
  /** SHA-256 (hex) of a rotated-out credential. */
  hash: string
  /** When it stopped being the current one. */
  rotatedAt: Millis
}

export interface CredentialRotation {
  /** The hash the caller saw as current; the rotation only happens if it still is. */
  expectedHash: string
  newHash: string
  now: Millis
  /**
   * The predecessors to keep, newest first: `expectedHash` rotated out at `now`, then those of
   * the session as the caller read it that are still within their grace. Stored as given.
   */
  previousCredentials: readonly PreviousCredential[]
}

export interface AuditEventInput {
  type: string
  at: Millis
  userId?: string | null
  sessionId?: string | null
  clientIp?: string | null
  userAgent?: string | null
  deviceName?: string | null
  details?: Record<string, unknown>
}

export interface AuditEvent {
  seq: number
  type: string
  at: Millis
  userId: string | null
  sessionId: string | null
  /**
   * The personal fields. As stored (`auditPage`): ciphertext, or `erased:<digest>` once retention
   * erased them; as listed (`listAudit`): clear text, null when erased.
   */
  clientIp: string | null
  userAgent: string | null
  deviceName: string | null
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

/** The new anomaly baseline of a session (see `Session.uaFamilyHash`). */
export interface SessionFingerprint {
  uaFamilyHash: string | null
  networkHash: string | null
}

/** A JWT signing key; the private half only ever as ciphertext (see @gatehouse/tokens). */
export interface SigningKeyRecord {
  /** Random base64url; also the JWK's `kid`. */
  kid: string
  alg: string
  /** Public members only; published in the JWKS. */
  publicJwk: Record<string, unknown>
  /** The private JWK, encrypted with a key derived from GATEHOUSE_MASTER_KEY. */
  privateKeyEnc: string
  createdAt: Millis
  /** Set when a newer key took over signing; null for the one current key. */
  retiredAt: Millis | null
  /** Not published from this time on; null while the key is current. */
  publishUntil: Millis | null
}

export interface KeyRetirement {
  /** Becomes `retiredAt` of the key that was current. */
  at: Millis
  /**
   * Becomes `publishUntil` of every older key, unless it already leaves earlier: the rotated-out
   * key's tokens still verify until then. `at` itself (an emergency) unpublishes them all at once.
   */
  publishUntil: Millis
}

/** One link of a session's server-side refresh-token chain. Only the hash is stored. */
export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the token. */
  tokenHash: string
  sessionId: string
  /** Position in the chain: 0 for the first token, one more per renewal. */
  generation: number
  createdAt: Millis
  consumedAt: Millis | null
  /** Hash of the token that replaced this one. */
  replacedBy: string | null
}

export interface RefreshTokenRenewal {
  sessionId: string
  /** Hash of the token presented; it is consumed only if it is still unconsumed. */
  presentedHash: string
  /** Hash of its successor (generation + 1). */
  successorHash: string
  now: Millis
  /** Bounded rows: what a successful renewal deletes of the session's consumed tokens. */
  prune?: RefreshTokenPruning
}

/** A chain started already renewed: generation 0 consumed by generation 1 (see startRenewedRefreshChain). */
/**
 * A store reads the two hashes only when it starts the chain (the caller may compute them
 * lazily, in getters: a session that already has a chain does not need them).
 */
export interface RefreshChainStart {
  sessionId: string
  /** Hash of the generation-0 token, stored consumed at `now`. */
  firstHash: string
  /** Hash of its successor, the generation-1 token, stored unconsumed. */
  successorHash: string
  now: Millis
}

export type RefreshChainStartResult =
  /** This call started the chain; `successor` is its current (generation 1) token. */
  | { started: true; successor: RefreshTokenRecord }
  /**
   * The session already had a chain (this is its unconsumed token) or is not live (null).
   * `recent`: the row is not read now but as this process's session lookup saw it an instant
   * ago (Postgres: one round trip less), so it may have been consumed since: the caller
   * believes it as it would a remembered generation, and reads the row if the renewal fails.
   */
  | { started: false; current: RefreshTokenRecord | null; recent?: true }

/**
 * After a renewal to generation G, the session's consumed tokens of generation below
 * G - `keepLast` are deleted if consumed before `consumedBefore` (past the race window), and
 * those below G - `keepAtMost` whenever consumed. So a session keeps at most `keepAtMost`
 * consumed rows, and `keepLast` in steady state.
 */
export interface RefreshTokenPruning {
  keepLast: number
  consumedBefore: Millis
  keepAtMost: number
}

export type RefreshTokenRenewalResult =
  /** This call consumed the presented token and stored its successor. */
  | { outcome: 'renewed'; successor: RefreshTokenRecord }
  /** The token was consumed before (by a racing renewal, or it is being replayed). */
  | { outcome: 'consumed'; token: RefreshTokenRecord }
  /** The session is revoked, expired or gone: nothing was changed. */
  | { outcome: 'session_ended' }
  /** No such token in this session's chain. */
  | { outcome: 'unknown' }

/**
 * One entry of the public revocation feed: a session that ended, and when. Written by the store
 * itself whenever a session's `revokedAt` is set, whatever the reason.
 */
export interface RevocationEntry {
  /** Position in the feed: increasing, never reused, visible in this order (the cursor). */
  seq: number
  sessionId: string
  /** No token was minted for the session after this: min(revokedAt, idle and absolute expiry). */
  endedAt: Millis
}

export interface RevocationQuery {
  /** Entries after this seq (0: from the start). */
  after: number
  /** Only entries whose session ended at or after this (older ones no longer matter). */
  endedSince: Millis
  limit: number
}

export interface RevocationPage {
  /** Oldest first, at most `limit`. */
  entries: RevocationEntry[]
  /**
   * The highest seq committed when the page was read (0 when none): with no more entries
   * than returned, a reader resumes from here without missing any.
   */
  head: number
}
