import type { Store } from '@gatehouse/store'
import { createPostgresStore } from '@gatehouse/store-postgres'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import type { DatabaseTarget } from './config/database-url.js'

/** The store named by DATABASE_URL, with pending migrations applied unless told otherwise. */
export async function openStore(
  target: DatabaseTarget,
  options: { migrate?: boolean; onError?: (error: Error) => void } = {},
): Promise<Store> {
  switch (target.kind) {
    case 'sqlite':
      return createSqliteStore({ path: target.path, migrate: options.migrate ?? true })
    case 'postgres':
      // Several gateways may share it; its `revocations` feed tells each about the others' logouts.
      return createPostgresStore({
        url: target.url,
        migrate: options.migrate ?? true,
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      })
  }
}
