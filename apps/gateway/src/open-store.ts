import type { Store } from '@gatehouse/store'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import type { DatabaseTarget } from './config/database-url.js'
import { ConfigError } from './errors.js'

/** The store named by DATABASE_URL, with pending migrations applied unless told otherwise. */
export async function openStore(target: DatabaseTarget, options: { migrate?: boolean } = {}): Promise<Store> {
  switch (target.kind) {
    case 'sqlite':
      return createSqliteStore({ path: target.path, migrate: options.migrate ?? true })
    case 'postgres':
      throw new ConfigError('DATABASE_URL', 'postgres:// is not supported by this build yet; use file:PATH')
  }
}
