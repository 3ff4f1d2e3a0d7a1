import { drizzle } from 'drizzle-orm/node-postgres'
import { Pool } from 'pg'
import { withPersonalData, type PersonalDataCodec, type Store } from '@gatehouse/store'
import { createAuditOps } from './audit.js'
import { migratePostgres } from './migrate.js'
import { withStoreErrors } from './pg-errors.js'
import { createRateLimitOps } from './rate-limits.js'
import { createOidcOps } from './oidc.js'
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
}

export type PostgresStore = Store & {
  readonly dialect: 'postgres'
  /** Sessions ended by other gateways on this database, as they happen (LISTEN/NOTIFY). */
  readonly revocations: PostgresRevocationFeed
}

export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
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
  const stored = withStoreErrors({
    ...createUserOps(db),
    ...createSessionOps(db),
    ...createAuditOps(db),
    ...createRateLimitOps(db),
    ...createSigningKeyOps(db),
    ...createRefreshTokenOps(db),
    ...createOidcOps(db),
    ...createRevocationEntryOps(db),
    async ping() {
      await pool.query('select 1')
    },
  })
  const ops = options.personalData === undefined ? stored : withPersonalData(stored, options.personalData)
  let closing: Promise<void> | undefined
  return {
    dialect: 'postgres',
    ...ops,
    revocations: {
      ...revocations,
      publishRevoked: withStoreErrors({ publishRevoked: revocations.publishRevoked }).publishRevoked,
    },
    close() {
      closing ??= (async () => {
        await revocations.close()
        await pool.end()
      })()
      return closing
    },
  }
}
