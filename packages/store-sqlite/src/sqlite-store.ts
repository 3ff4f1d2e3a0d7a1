import { sql } from 'drizzle-orm'
import { createRefreshChainHints, withPersonalData, type PersonalDataCodec, type Store } from '@gatehouse/store'
import { createAuditOps } from './audit.js'
import { migrateSqlite } from './migrate.js'
import { migrateSqlitePersonalData } from './personal-data-migration.js'
import { openSqlite } from './open.js'
import { withStoreErrors } from './sqlite-errors.js'
import { withSessionLookupCache } from './session-lookup-cache.js'
import { createRateLimitOps } from './rate-limits.js'
import { createOidcOps } from './oidc.js'
import { createRefreshTokenOps } from './refresh-tokens.js'
import { createRevocationEntryOps } from './revocation-entries.js'
import { createSessionOps } from './sessions.js'
import { createSigningKeyOps } from './signing-keys.js'
import { createUserOps } from './users.js'

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  path: string
  /** Apply pending migrations before use (the gateway does; the CLI's `migrate` does it explicitly). */
  migrate?: boolean
  /**
   * Seals client addresses, user agents and device names at rest (the gateway always passes one,
   * keyed from GATEHOUSE_MASTER_KEY); with `migrate`, values an earlier version stored in clear
   * are sealed too. Without it they are stored as given.
   */
  personalData?: PersonalDataCodec
}

export type SqliteStore = Store & { readonly path: string }

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { db, client } = openSqlite(options.path)
  if (options.migrate ?? true) {
    migrateSqlite(db)
    if (options.personalData !== undefined) migrateSqlitePersonalData(db, options.personalData)
  }
  let closed = false
  // The session lookup notes each chain's current row for the session's first renewal here.
  const chainHints = createRefreshChainHints()
  const raw = {
    ...createUserOps(db),
    ...createSessionOps(db, chainHints),
    ...createAuditOps(db),
    ...createRateLimitOps(db),
    ...createSigningKeyOps(db),
    ...createRefreshTokenOps(db, chainHints),
    ...createOidcOps(db),
    ...createRevocationEntryOps(db),
    async ping() {
      db.get(sql`select 1`)
    },
  }
  // Sealing sits under the lookup cache, so a cached session is held opened: a hit costs nothing more.
  const ops = withStoreErrors(withSessionLookupCache(options.personalData === undefined ? raw : withPersonalData(raw, options.personalData), client))
  return {
    dialect: 'sqlite',
    path: options.path,
    ...ops,
    async close() {
      if (closed) return
      closed = true
      client.close()
    },
  }
}
