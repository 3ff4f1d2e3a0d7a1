import type { BlockList } from 'node:net'
import type { ConnectionLimits } from '../http/node-server.js'
import type { AnomalyPolicy } from '../anomaly/policy.js'
import type { CookieSecret } from './cookie-secrets.js'
import type { DatabaseTarget } from './database-url.js'
import type { ProviderConfig } from './providers-file.js'
import type { RouteConfig } from './routes-file.js'
import type { Upstream } from './upstreams.js'
import type { LoginLimits } from '../auth/login-limiter.js'
import type { ListenAddress } from './ops-address.js'

export type SigningAlg = 'EdDSA' | 'ES256' | 'RS256'

/** Everything the gateway needs to know, parsed and checked once at start-up. */
export interface GatewayConfig {
  host: string
  port: number
  database: DatabaseTarget
  upstreams: Upstream[]
  /** Route policy from the GATEHOUSE_CONFIG file (roles, timeouts, body limits, anonymous access); empty without one. */
  routes: RouteConfig[]
  /** OpenID Connect providers from the GATEHOUSE_CONFIG file (contract section 7); empty without one. */
  providers: ProviderConfig[]
  /** False: password login is off (POST /auth/login answers 404). */
  localLogin: boolean
  /** The anomaly policy from the GATEHOUSE_CONFIG file (`anomalies`), over the defaults. */
  anomalies: AnomalyPolicy
  /** e.g. https://app.example.com — no path, no trailing slash. */
  publicOrigin: string
  /** True when the public origin is https: Secure cookie with the __Host- prefix. */
  secureCookies: boolean
  /** Newest first. */
  cookieSecrets: CookieSecret[]
  masterKey: string
  upstreamTimeoutMs: number
  /** The public listener's timeouts and connection cap (slow clients are cut, not waited for). */
  connections: ConnectionLimits
  accessTtlS: number
  idleTtlS: number
  absoluteTtlS: number
  rotateEveryS: number
  rotateGraceS: number
  maxSessionsPerUser: number
  /** Peers whose X-Forwarded-For is believed. */
  trustedProxies: BlockList
  /** How often the gateway deletes ended sessions and stale rate-limit rows. */
  pruneEveryS: number
  /** GATEHOUSE_AUDIT_RETENTION_DAYS: the prune job erases personal fields of older audit events. */
  auditRetentionDays?: number | undefined
  signingAlg: SigningAlg
  /** GATEHOUSE_TOKEN_FORMAT: what services receive; 'paseto' needs signingAlg EdDSA (checked at start-up). */
  tokenFormat: 'jwt' | 'paseto'
  production: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Where development secrets and the default database live. */
  dataDir: string
  /** GATEHOUSE_ROLES: the roles users may be given; undefined accepts any well-formed name. */
  knownRoles?: string[] | undefined
  /** GATEHOUSE_WEB_ROOT: a built web app served from the same origin; absent, no pages are served. */
  webRoot?: string | undefined
  /** GATEHOUSE_OPS_ADDRESS: a listener of its own for /metrics, /healthz and /readyz. */
  opsAddress?: ListenAddress | undefined
  /** Login and password-change throttling (GATEHOUSE_LOGIN_*). */
  loginLimits: LoginLimits
  /** GATEHOUSE_WORKERS: processes serving the one port (`auto` already resolved); 1 is a single process. */
  workers: number
}
