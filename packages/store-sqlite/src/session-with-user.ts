import { sessionStateFromColumns, type SessionStateColumns, type SessionState, type User } from '@gatehouse/store'

// Neither the user agent nor the client address: nothing on a request reads them.
// It also reads the session's refresh chain's current row (its rows are clustered by session),
// noted for the session's first renewal on this process (@gatehouse/store's refresh-chain-hints.ts).
export const SESSION_WITH_USER_SQL = `
SELECT s.id, s.user_id, s.credential_hash, s.previous_credentials, s.credential_rotated_at,
       s.device_name, s.ua_family_hash, s.network_hash, s.created_at, s.last_seen_at, s.idle_expires_at,
       s.absolute_expires_at, s.revoked_at, s.revoked_reason,
       u.username AS u_username, u.password_hash AS u_password_hash, u.roles AS u_roles,
       u.suspended_at AS u_suspended_at, u.password_changed_at AS u_password_changed_at,
       u.created_at AS u_created_at, u.updated_at AS u_updated_at,
       r.token_hash AS r_token_hash, r.generation AS r_generation, r.created_at AS r_created_at
FROM sessions s JOIN users u ON u.id = s.user_id
LEFT JOIN refresh_tokens r ON r.session_id = s.id
  AND r.generation = (SELECT max(generation) FROM refresh_tokens WHERE session_id = s.id AND consumed_at IS NULL)
WHERE s.id = ?`

export interface JoinedRow extends SessionStateColumns {
  u_username: string
  u_password_hash: string
  u_roles: string
  u_suspended_at: number | null
  u_password_changed_at: number
  u_created_at: number
  u_updated_at: number
  r_token_hash: string | null
  r_generation: number | null
  r_created_at: number | null
}

export function splitJoinedRow(r: JoinedRow): { session: SessionState; user: User } {
  return {
    session: sessionStateFromColumns(r),
    user: {
      id: r.user_id,
      username: r.u_username,
      passwordHash: r.u_password_hash,
      roles: JSON.parse(r.u_roles) as string[],
      suspendedAt: r.u_suspended_at,
      passwordChangedAt: r.u_password_changed_at,
      createdAt: r.u_created_at,
      updatedAt: r.u_updated_at,
    },
  }
}
