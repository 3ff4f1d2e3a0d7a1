import { sql } from 'drizzle-orm'
import type { Store } from '@gatehouse/store'
import { createAuditOps } from './audit.js'
import { migrateSqlite } from './migrate.js'
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
}

export type SqliteStore = Store & { readonly path: string }

export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { db, client } = openSqlite(options.path)
  if (options.migrate ?? true) migrateSqlite(db)
  let closed = false
  const ops = withStoreErrors(withSessionLookupCache({
    ...createUserOps(db),
    ...createSessionOps(db),
    ...createAuditOps(db),
    ...createRateLimitOps(db),
    ...createSigningKeyOps(db),
    ...createRefreshTokenOps(db),
    ...createOidcOps(db),
    ...createRevocationEntryOps(db),
    async ping() {
      db.get(sql`select 1`)
    },
  }, client))
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
