import { resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import type { GatewayConfig } from './config.js'
import { parseCookieSecrets } from './cookie-secrets.js'
import { parseDatabaseUrl } from './database-url.js'
import { resolveDevSecret } from './dev-secrets.js'
import { assertStrongSecret } from './secret-strength.js'
import { loadConfigFile } from './routes-file.js'
import { loadIdentityConfig } from './providers-file.js'
import { DEFAULT_ANOMALY_POLICY } from '../anomaly/policy.js'
import { parseUpstreams } from './upstreams.js'
import { parseWebRoot } from './web-root.js'
import { parseLoginLimits } from './login-limits.js'
import { parseOpsAddress } from './ops-address.js'
import { parseKnownRoles } from './known-roles.js'
import { parseWorkers } from './workers.js'
import { parseTrustedProxies } from '../http/client-ip.js'
import { MAX_REMEMBERED_CREDENTIALS } from '../session/session-manager.js'

export const DEFAULT_UPSTREAMS = 'orders=http://127.0.0.1:4001,profile=http://127.0.0.1:4002'

const seconds = (fallback: number, max = 10 * 365 * 86_400) => z.coerce.number().int().min(1).max(max).default(fallback)

const count = (fallback: number) => z.coerce.number().int().min(1).max(100_000).default(fallback)

const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  DATABASE_URL: z.string().default('file:./data/gatehouse.db'),
  GATEHOUSE_UPSTREAMS: z.string().default(DEFAULT_UPSTREAMS),
  GATEHOUSE_PUBLIC_ORIGIN: z.string().default('http://localhost:8080'),
  GATEHOUSE_COOKIE_SECRET: z.string().optional(),
  GATEHOUSE_MASTER_KEY: z.string().optional(),
  GATEHOUSE_UPSTREAM_TIMEOUT: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  GATEHOUSE_HEADERS_TIMEOUT: z.coerce.number().int().min(100).max(600_000).default(10_000),
  GATEHOUSE_REQUEST_TIMEOUT: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
  GATEHOUSE_KEEP_ALIVE_TIMEOUT: z.coerce.number().int().min(100).max(600_000).default(5_000),
  GATEHOUSE_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  GATEHOUSE_ACCESS_TTL: seconds(300, 3600),
  GATEHOUSE_IDLE_TTL: seconds(1800),
  GATEHOUSE_ABSOLUTE_TTL: seconds(604_800),
  GATEHOUSE_ROTATE_EVERY: seconds(300),
  GATEHOUSE_ROTATE_GRACE: seconds(30, 3600),
  GATEHOUSE_MAX_SESSIONS: z.coerce.number().int().min(1).max(1000).default(10),
  GATEHOUSE_SIGNING_ALG: z.enum(['EdDSA', 'ES256', 'RS256']).default('EdDSA'),
  GATEHOUSE_TOKEN_FORMAT: z.enum(['jwt', 'paseto']).default('jwt'),
  GATEHOUSE_DATA_DIR: z.string().default('./data'),
  GATEHOUSE_CONFIG: z.string().optional(),
  GATEHOUSE_TRUSTED_PROXIES: z.string().default(''),
  GATEHOUSE_PRUNE_EVERY: seconds(600, 86_400),
  GATEHOUSE_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  GATEHOUSE_WEB_ROOT: z.string().optional(),
  GATEHOUSE_OPS_ADDRESS: z.string().optional(),
  GATEHOUSE_LOGIN_WINDOW: seconds(900, 86_400),
  GATEHOUSE_LOGIN_CLIENT_FAILURES: count(5),
  GATEHOUSE_LOGIN_ADDRESS_FAILURES: count(50),
  GATEHOUSE_LOGIN_ACCOUNT_FAILURES: count(20),
  GATEHOUSE_LOGIN_LOCKOUT: seconds(60, 86_400),
  GATEHOUSE_LOGIN_MAX_LOCKOUT: seconds(3600, 7 * 86_400),
  GATEHOUSE_LOGIN_ACCOUNT_DELAY: seconds(5, 3600),
  GATEHOUSE_LOGIN_ACCOUNT_MAX_DELAY: seconds(300, 86_400),
  GATEHOUSE_ROLES: z.string().optional(),
  GATEHOUSE_WORKERS: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
})

function parseOrigin(value: string): { origin: string; secure: boolean } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError('GATEHOUSE_PUBLIC_ORIGIN', `"${value}" is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('GATEHOUSE_PUBLIC_ORIGIN', 'must be http or https')
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError('GATEHOUSE_PUBLIC_ORIGIN', 'must be an origin only, like https://app.example.com')
  }
  return { origin: url.origin, secure: url.protocol === 'https:' }
}

/**
 * Reads the environment once. In development a missing secret is generated and kept under the
 * data directory; with NODE_ENV=production a missing or weak secret is an error naming it.
 */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): GatewayConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  const { origin, secure } = parseOrigin(e.GATEHOUSE_PUBLIC_ORIGIN)
  const dataDir = resolve(cwd, e.GATEHOUSE_DATA_DIR)
  const upstreams = parseUpstreams(e.GATEHOUSE_UPSTREAMS)
  const configFile = e.GATEHOUSE_CONFIG ? resolve(cwd, e.GATEHOUSE_CONFIG) : undefined
  const file = configFile ? loadConfigFile(configFile, upstreams.map((u) => u.name)) : { routes: [], anomalies: DEFAULT_ANOMALY_POLICY }
  const routes = file.routes
  const identity = configFile ? loadIdentityConfig(configFile, env, routes, { production }) : { localLogin: true, providers: [] }

  const secret = (variable: 'GATEHOUSE_COOKIE_SECRET' | 'GATEHOUSE_MASTER_KEY', file: string): string => {
    const value = e[variable]
    if (value !== undefined && value !== '') return value
    if (production) throw new ConfigError(variable, 'is required when NODE_ENV=production')
    return resolveDevSecret(dataDir, file)
  }
  const cookieSecrets = parseCookieSecrets(secret('GATEHOUSE_COOKIE_SECRET', 'cookie-secret'))
  const masterKey = secret('GATEHOUSE_MASTER_KEY', 'master-key')
  assertStrongSecret('GATEHOUSE_MASTER_KEY', masterKey)

  // A grace longer than the period is fine (a short period, slow networks): every rotated-out
  // credential is remembered through its own grace, up to a bound per session.
  if (e.GATEHOUSE_ROTATE_GRACE > (MAX_REMEMBERED_CREDENTIALS - 1) * e.GATEHOUSE_ROTATE_EVERY) {
    throw new ConfigError('GATEHOUSE_ROTATE_GRACE', `may be at most ${MAX_REMEMBERED_CREDENTIALS - 1} × GATEHOUSE_ROTATE_EVERY`)
  }
  if (e.GATEHOUSE_REQUEST_TIMEOUT !== 0 && e.GATEHOUSE_REQUEST_TIMEOUT < e.GATEHOUSE_HEADERS_TIMEOUT) {
    throw new ConfigError('GATEHOUSE_REQUEST_TIMEOUT', 'must be 0 (no limit) or at least GATEHOUSE_HEADERS_TIMEOUT')
  }
  if (e.GATEHOUSE_TOKEN_FORMAT === 'paseto' && e.GATEHOUSE_SIGNING_ALG !== 'EdDSA') {
    throw new ConfigError('GATEHOUSE_TOKEN_FORMAT', `paseto (v4.public) signs with Ed25519 keys: set GATEHOUSE_SIGNING_ALG=EdDSA, not ${e.GATEHOUSE_SIGNING_ALG}`)
  }
  if (e.GATEHOUSE_IDLE_TTL > e.GATEHOUSE_ABSOLUTE_TTL) {
    throw new ConfigError('GATEHOUSE_IDLE_TTL', 'must not exceed GATEHOUSE_ABSOLUTE_TTL')
  }

  return {
    host: e.HOST,
    port: e.PORT,
    database: parseDatabaseUrl(e.DATABASE_URL, cwd),
    upstreams,
    routes,
    providers: identity.providers,
    localLogin: identity.localLogin,
    anomalies: file.anomalies,
    publicOrigin: origin,
    secureCookies: secure,
    cookieSecrets,
    masterKey,
    upstreamTimeoutMs: e.GATEHOUSE_UPSTREAM_TIMEOUT,
    connections: {
      headersTimeoutMs: e.GATEHOUSE_HEADERS_TIMEOUT,
      requestTimeoutMs: e.GATEHOUSE_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: e.GATEHOUSE_KEEP_ALIVE_TIMEOUT,
      maxConnections: e.GATEHOUSE_MAX_CONNECTIONS,
    },
    accessTtlS: e.GATEHOUSE_ACCESS_TTL,
    idleTtlS: e.GATEHOUSE_IDLE_TTL,
    absoluteTtlS: e.GATEHOUSE_ABSOLUTE_TTL,
    rotateEveryS: e.GATEHOUSE_ROTATE_EVERY,
    rotateGraceS: e.GATEHOUSE_ROTATE_GRACE,
    maxSessionsPerUser: e.GATEHOUSE_MAX_SESSIONS,
    trustedProxies: parseTrustedProxies(e.GATEHOUSE_TRUSTED_PROXIES),
    pruneEveryS: e.GATEHOUSE_PRUNE_EVERY,
    auditRetentionDays: e.GATEHOUSE_AUDIT_RETENTION_DAYS,
    signingAlg: e.GATEHOUSE_SIGNING_ALG,
    tokenFormat: e.GATEHOUSE_TOKEN_FORMAT,
    production,
    logLevel: e.LOG_LEVEL,
    dataDir,
    webRoot: parseWebRoot(e.GATEHOUSE_WEB_ROOT, cwd),
    opsAddress: parseOpsAddress(e.GATEHOUSE_OPS_ADDRESS),
    loginLimits: parseLoginLimits(e),
    knownRoles: parseKnownRoles(e.GATEHOUSE_ROLES, routes),
    workers: parseWorkers(e.GATEHOUSE_WORKERS),
  }
}
