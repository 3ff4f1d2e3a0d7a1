import { decodePreviousCredentials } from './previous-credentials.js'
import type { RevocationReason, Session } from './types.js'

/**
 * A `sessions` row as both dialects' raw statements return it (snake_case, times in epoch ms):
 * the session lookup reads it with hand-written SQL, not through the ORM, because it runs on
 * every request that misses the cache.
 */
export interface SessionColumns {
  id: string
  user_id: string
  credential_hash: string
  previous_credentials: string
  credential_rotated_at: number
  device_name: string
  user_agent: string
  client_ip: string
  ua_family_hash: string | null
  network_hash: string | null
  created_at: number
  last_seen_at: number
  idle_expires_at: number
  absolute_expires_at: number
  revoked_at: number | null
  revoked_reason: string | null
}

export function sessionFromColumns(r: SessionColumns): Session {
  return {
    id: r.id,
    userId: r.user_id,
    credentialHash: r.credential_hash,
    previousCredentials: decodePreviousCredentials(r.previous_credentials),
    credentialRotatedAt: r.credential_rotated_at,
    deviceName: r.device_name,
    userAgent: r.user_agent,
    clientIp: r.client_ip,
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
