import { resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import type { GatewayConfig } from './config.js'
import { parseCookieSecrets } from './cookie-secrets.js'
import { parseDatabaseUrl } from './database-url.js'
import { resolveDevSecret } from './dev-secrets.js'
import { assertStrongSecret } from './secret-strength.js'
import { loadConfigFile } from './routes-file.js'
import { DEFAULT_ANOMALY_POLICY } from '../anomaly/policy.js'
import { parseUpstreams } from './upstreams.js'
import { parseWebRoot } from './web-root.js'
import { parseTrustedProxies } from '../http/client-ip.js'

export const DEFAULT_UPSTREAMS = 'orders=http://127.0.0.1:4001,profile=http://127.0.0.1:4002'

const seconds = (fallback: number, max = 10 * 365 * 86_400) => z.coerce.number().int().min(1).max(max).default(fallback)

const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  DATABASE_URL: z.string().default('file:./data/gatehouse.db'),
  GATEHOUSE_UPSTREAMS: z.string().default(DEFAULT_UPSTREAMS),
  GATEHOUSE_PUBLIC_ORIGIN: z.string().default('http://localhost:8080'),
  GATEHOUSE_COOKIE_SECRET: z.string().optional(),
  GATEHOUSE_MASTER_KEY: z.string().optional(),
  GATEHOUSE_UPSTREAM_TIMEOUT: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  GATEHOUSE_ACCESS_TTL: seconds(300, 3600),
  GATEHOUSE_IDLE_TTL: seconds(1800),
  GATEHOUSE_ABSOLUTE_TTL: seconds(604_800),
  GATEHOUSE_ROTATE_EVERY: seconds(300),
  GATEHOUSE_ROTATE_GRACE: seconds(30, 3600),
  GATEHOUSE_MAX_SESSIONS: z.coerce.number().int().min(1).max(1000).default(10),
  GATEHOUSE_SIGNING_ALG: z.enum(['EdDSA', 'ES256', 'RS256']).default('EdDSA'),
  GATEHOUSE_DATA_DIR: z.string().default('./data'),
  GATEHOUSE_CONFIG: z.string().optional(),
  GATEHOUSE_TRUSTED_PROXIES: z.string().default(''),
  GATEHOUSE_PRUNE_EVERY: seconds(600, 86_400),
  GATEHOUSE_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  GATEHOUSE_WEB_ROOT: z.string().optional(),
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
  const file = e.GATEHOUSE_CONFIG
    ? loadConfigFile(resolve(cwd, e.GATEHOUSE_CONFIG), upstreams.map((u) => u.name))
    : { routes: [], anomalies: DEFAULT_ANOMALY_POLICY }

  const secret = (variable: 'GATEHOUSE_COOKIE_SECRET' | 'GATEHOUSE_MASTER_KEY', file: string): string => {
    const value = e[variable]
    if (value !== undefined && value !== '') return value
    if (production) throw new ConfigError(variable, 'is required when NODE_ENV=production')
    return resolveDevSecret(dataDir, file)
  }
  const cookieSecrets = parseCookieSecrets(secret('GATEHOUSE_COOKIE_SECRET', 'cookie-secret'))
  const masterKey = secret('GATEHOUSE_MASTER_KEY', 'master-key')
  assertStrongSecret('GATEHOUSE_MASTER_KEY', masterKey)

  if (e.GATEHOUSE_ROTATE_GRACE >= e.GATEHOUSE_ROTATE_EVERY) {
    throw new ConfigError('GATEHOUSE_ROTATE_GRACE', 'must be shorter than GATEHOUSE_ROTATE_EVERY')
  }
  if (e.GATEHOUSE_IDLE_TTL > e.GATEHOUSE_ABSOLUTE_TTL) {
    throw new ConfigError('GATEHOUSE_IDLE_TTL', 'must not exceed GATEHOUSE_ABSOLUTE_TTL')
  }

  return {
    host: e.HOST,
    port: e.PORT,
    database: parseDatabaseUrl(e.DATABASE_URL, cwd),
    upstreams,
    routes: file.routes,
    anomalies: file.anomalies,
    publicOrigin: origin,
    secureCookies: secure,
    cookieSecrets,
    masterKey,
    upstreamTimeoutMs: e.GATEHOUSE_UPSTREAM_TIMEOUT,
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
    production,
    logLevel: e.LOG_LEVEL,
    dataDir,
    webRoot: parseWebRoot(e.GATEHOUSE_WEB_ROOT, cwd),
  }
}
