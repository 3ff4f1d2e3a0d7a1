import { decodePreviousCredentials } from './previous-credentials.js'
import type { RevocationReason, SessionState } from './types.js'

/**
 * A `sessions` row as both dialects' per-request lookups return it (snake_case, times in epoch
 * ms), without the user agent and client address, which that lookup does not read: hand-written
 * SQL, not the ORM, because it runs on every request that misses the cache.
 */
export interface SessionStateColumns {
  id: string
  user_id: string
  credential_hash: string
  previous_credentials: string
  credential_rotated_at: number
  device_name: string
  ua_family_hash: string | null
  network_hash: string | null
  created_at: number
  last_seen_at: number
  idle_expires_at: number
  absolute_expires_at: number
  revoked_at: number | null
  revoked_reason: string | null
}

export function sessionStateFromColumns(r: SessionStateColumns): SessionState {
  return {
    id: r.id,
    userId: r.user_id,
    credentialHash: r.credential_hash,
    previousCredentials: decodePreviousCredentials(r.previous_credentials),
    credentialRotatedAt: r.credential_rotated_at,
    deviceName: r.device_name,
    uaFamilyHash: r.ua_family_hash,
    networkHash: r.network_hash,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    idleExpiresAt: r.idle_expires_at,
    absoluteExpiresAt: r.absolute_expires_at,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason as RevocationReason | null,
  }
}
