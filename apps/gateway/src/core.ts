import type { Store } from '@gatehouse/store'
import { createAuditLog, type AuditLog } from './audit.js'
import type { PasswordHasher } from './auth/passwords.js'
import type { Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import { createSessionCookie } from './session/cookie.js'
import { createSessionManager, type SessionManager } from './session/session-manager.js'
import { createUserAdmin, type UserAdmin } from './users/user-admin.js'

export interface CoreDeps {
  config: GatewayConfig
  store: Store
  clock: Clock
  hasher: PasswordHasher
}

/** The services both the HTTP gateway and the CLI stand on. */
export interface Core {
  audit: AuditLog
  sessions: SessionManager
  users: UserAdmin
}

export function createCore({ config, store, clock, hasher }: CoreDeps): Core {
  const audit = createAuditLog(store, clock)
  const cookie = createSessionCookie({ secrets: config.cookieSecrets, secure: config.secureCookies, ttlS: config.absoluteTtlS })
  const sessions = createSessionManager({
    store,
    clock,
    cookie,
    audit,
    policy: {
      idleTtlS: config.idleTtlS,
      absoluteTtlS: config.absoluteTtlS,
      rotateEveryS: config.rotateEveryS,
      rotateGraceS: config.rotateGraceS,
      maxSessionsPerUser: config.maxSessionsPerUser,
    },
  })
  const users = createUserAdmin({ store, clock, hasher, audit, sessions })
  return { audit, sessions, users }
}
