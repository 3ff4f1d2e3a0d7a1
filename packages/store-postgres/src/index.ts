/**
 * @gatehouse/store-postgres: the Store on PostgreSQL, for several gateways sharing one database.
 *
 * Drizzle over node-postgres (`pg`): drizzle's node-postgres driver is its most used one, and
 * `pg` gives us LISTEN/NOTIFY on a dedicated client, which the revocation feed needs. Every
 * operation the gateway relies on being atomic stays atomic across processes; each file says how.
 */
export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from './postgres-store.js'
export { migratePostgres, POSTGRES_MIGRATIONS } from './migrate.js'
export {
  createRevocationFeed,
  revocationPayloads,
  DEFAULT_REVOCATION_CHANNEL,
  MAX_NOTIFY_PAYLOAD_BYTES,
  type PostgresRevocationFeed,
  type RevocationFeedOptions,
} from './revocation-feed.js'
export { DEFAULT_LEASE_MS, type SessionCacheOptions } from './postgres-store.js'
