import type { Store } from '@gatehouse/store'
import { createKeyManager, createMasterKeyCipher, createTokenIssuer, type KeyManager, type TokenIssuer } from '@gatehouse/tokens'
import { createAuditLog, type AuditLog } from './audit.js'
import type { PasswordHasher } from './auth/passwords.js'
import type { Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import { createSessionCookie } from './session/cookie.js'
import { createSessionManager, type SessionManager } from './session/session-manager.js'
import { createUserAdmin, type UserAdmin } from './users/user-admin.js'
import { createLoginLimiter, type LoginLimiter } from './auth/login-limiter.js'
import { createAnomalyDetector, type AnomalyDetector } from './anomaly/detector.js'
import { createFingerprinter } from './anomaly/fingerprint.js'
import { clientAddressHasher, personalDataCodec } from './privacy/personal-data.js'

export interface CoreDeps {
  config: GatewayConfig
  store: Store
  clock: Clock
  hasher: PasswordHasher
  /** Sees every audited event (the gateway's metrics). */
  onAudit?: (type: string, details: Record<string, unknown> | undefined) => void
  /**
   * Failures of work nobody awaits. Nothing uses it now: a Postgres store announces revocations
   * itself, inside the awaited write.
   */
  onBackgroundError?: (error: unknown) => void
}

/** The services both the HTTP gateway and the CLI stand on. */
export interface Core {
  audit: AuditLog
  sessions: SessionManager
  users: UserAdmin
  loginLimiter: LoginLimiter
  /** Signing keys: `init()` at start-up, the JWKS, rotation. */
  keys: KeyManager
  /** Internal access tokens: `tokens.tokenFor(subject, upstreamName)`. */
  tokens: TokenIssuer
  /** The anomaly policy (GATEHOUSE_CONFIG `anomalies`). */
  anomalies: AnomalyDetector
}

export function createCore({ config, store, clock, hasher, onAudit }: CoreDeps): Core {
  const audit = createAuditLog(store, clock, onAudit)
  const cipher = createMasterKeyCipher(config.masterKey)
  const keys = createKeyManager({ store, clock, cipher, alg: config.signingAlg, accessTtlS: config.accessTtlS, audit })
  const tokens = createTokenIssuer({
    store,
    keys,
    cipher,
    clock,
    issuer: config.publicOrigin,
    accessTtlS: config.accessTtlS,
    format: config.tokenFormat,
    audit,
    // A replayed refresh token ends its session the way every revocation does (audit, caches).
    revokeSession: async ({ sessionId, userId }) => {
      await sessions.revoke(sessionId, 'reuse_detected', { userId })
    },
  })
  const codec = personalDataCodec(config.masterKey)
  const anomalies = createAnomalyDetector(config.anomalies, createFingerprinter(codec), clock)
  const cookie = createSessionCookie({ secrets: config.cookieSecrets, secure: config.secureCookies, ttlS: config.absoluteTtlS })
  const sessions = createSessionManager({
    store,
    clock,
    cookie,
    audit,
    anomalies,
    // Other gateways on this store (and a gateway next to this CLI) heard of it from the store
    // itself, which returned only once every live one confirmed (packages/store-postgres).
    onRevoked: (ids) => tokens.forgetSessions(ids),
    onForgotten: (ids) => tokens.forgetSessions(ids),
    policy: {
      idleTtlS: config.idleTtlS,
      absoluteTtlS: config.absoluteTtlS,
      rotateEveryS: config.rotateEveryS,
      rotateGraceS: config.rotateGraceS,
      maxSessionsPerUser: config.maxSessionsPerUser,
    },
  })
  const users = createUserAdmin({ store, clock, hasher, audit, sessions, knownRoles: config.knownRoles })
  const loginLimiter = createLoginLimiter(store, clock, config.loginLimits, clientAddressHasher(codec))
  return { audit, sessions, users, loginLimiter, keys, tokens, anomalies }
}
