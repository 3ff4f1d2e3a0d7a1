import { drizzle } from 'drizzle-orm/node-postgres'
import { Pool } from 'pg'
import { withPersonalData, type PersonalDataCodec, type Store } from '@gatehouse/store'
import { createAuditOps } from './audit.js'
import { createGatewayLease, type GatewayLease } from './gateway-lease.js'
import { createAnnouncer } from './revocation-acks.js'
import { withSessionCache } from './session-cache.js'
import { migratePostgres } from './migrate.js'
import { toStoreError, withStoreErrors } from './pg-errors.js'
import { createRateLimitOps } from './rate-limits.js'
import { createOidcOps } from './oidc.js'
import { createRefreshChainHints } from '@gatehouse/store'
import { createRefreshTokenOps } from './refresh-tokens.js'
import { createRevocationEntryOps } from './revocation-entries.js'
import { createRevocationFeed, type PostgresRevocationFeed } from './revocation-feed.js'
import * as schema from './schema.js'
import { createSessionOps } from './sessions.js'
import { createSigningKeyOps } from './signing-keys.js'
import { createUserOps } from './users.js'

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string
  /** Apply pending migrations before use (default true); safe with many gateways starting at once. */
  migrate?: boolean
  /** Connections this process may hold; every gateway has its own pool. */
  maxConnections?: number
  /** How long to wait for a connection before an operation fails (ms). */
  connectTimeoutMs?: number
  /** The LISTEN/NOTIFY channel of the revocation feed. */
  revocationChannel?: string
  /**
   * Errors nobody awaits: an idle pooled connection dropped by the server, the feed's listener
   * losing its connection (it reconnects). The pool replaces broken connections by itself.
   */
  onError?: (error: Error) => void
  /**
   * Seals client addresses, user agents and device names at rest (the gateway always passes one,
   * keyed from GATEHOUSE_MASTER_KEY); with `migrate`, values an earlier version stored in clear
   * are sealed too. Without it they are stored as given.
   */
  personalData?: PersonalDataCodec
  /**
   * Serve `findSessionWithUser` from memory under a lease (session-cache.ts): on by default, as a
   * gateway wants. `false` for a process that only writes now and then (the CLI): it caches
   * nothing and holds no lease, but its writes still wait for the gateways' acknowledgements.
   */
  sessionCache?: false | SessionCacheOptions
}

export interface SessionCacheOptions {
  /** How long a lease renewal is good for (ms, default 3000, at least 1000); a dead gateway delays a revocation by at most this. */
  leaseMs?: number
  /** Entries kept (default 100 000); past it the cache starts again from empty. */
  max?: number
}

export const DEFAULT_LEASE_MS = 3000

function resolveCache(option: PostgresStoreOptions['sessionCache']): { leaseMs: number; max: number } | null {
  if (option === false) return null
  const leaseMs = option?.leaseMs ?? DEFAULT_LEASE_MS
  const max = option?.max ?? 100_000
  if (!Number.isInteger(leaseMs) || leaseMs < 1000 || leaseMs > 600_000) throw new TypeError('sessionCache.leaseMs must be an integer from 1000 to 600000')
  if (!Number.isInteger(max) || max < 1) throw new TypeError('sessionCache.max must be a positive integer')
  return { leaseMs, max }
}

export type PostgresStore = Store & {
  readonly dialect: 'postgres'
  /** Sessions ended by other gateways on this database, as they happen (LISTEN/NOTIFY). */
  readonly revocations: PostgresRevocationFeed
  /** Whether lookups are served from memory right now (null: caching is off); for health checks and tests. */
  readonly sessionCache: { trusted(): boolean } | null
}

export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const cache = resolveCache(options.sessionCache)
  const onError = options.onError ?? (() => {})
  // application_name names our connections in pg_stat_activity (an application_name in the URL wins).
  const connection = { connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000, application_name: 'gatehouse' }
  const pool = new Pool({ ...connection, max: options.maxConnections ?? 10 })
  // Without a listener an idle client's error would be thrown as an uncaught exception.
  pool.on('error', onError)
  try {
    if (options.migrate ?? true) await migratePostgres(pool, options.personalData)
  } catch (error) {
    await pool.end().catch(() => {})
    throw error
  }
  const db = drizzle({ client: pool, schema })
  const revocations = createRevocationFeed({ pool, connection, onError, ...(options.revocationChannel ? { channel: options.revocationChannel } : {}) })
  // The session lookup notes each chain's current row; a session's first renewal takes it.
  const chainHints = createRefreshChainHints()
  const stored = withStoreErrors({
    ...createUserOps(db),
    ...createSessionOps(db, pool, chainHints),
    ...createAuditOps(db),
    ...createRateLimitOps(db),
    ...createSigningKeyOps(db),
    ...createRefreshTokenOps(db, chainHints),
    ...createOidcOps(db),
    ...createRevocationEntryOps(db),
    async ping() {
      await pool.query('select 1')
    },
  })
  const opened = options.personalData === undefined ? stored : withPersonalData(stored, options.personalData)
  const feed = { ...revocations.internals, ready: revocations.ready }
  const announcer = createAnnouncer({ pool, feed })
  let lease: GatewayLease | null = null
  if (cache !== null) {
    lease = createGatewayLease({ feed, pool, leaseMs: cache.leaseMs, onError })
  }
  // Sealing sits under the cache, so a cached session is held opened: a hit costs nothing more.
  const ops = withSessionCache(opened, {
    feed,
    lease,
    max: cache?.max ?? 0,
    announcer: {
      // A failed announcement leaves the write committed but unconfirmed: the caller hears 503.
      announce: (notice) => announcer.announce(notice).catch((error: unknown) => Promise.reject(toStoreError(error, 'announce'))),
    },
  })
  // The cache starts the listener at once: it trusts nothing before the listener is live.
  if (lease !== null) revocations.ready().catch(() => {})
  let closing: Promise<void> | undefined
  return {
    dialect: 'postgres',
    ...ops,
    sessionCache: lease === null ? null : { trusted: lease.trusted },
    revocations: {
      ...revocations,
      publishRevoked: withStoreErrors({ publishRevoked: revocations.publishRevoked }).publishRevoked,
    },
    close() {
      closing ??= (async () => {
        await lease?.close()
        await revocations.close()
        await pool.end()
      })()
      return closing
    },
  }
}
