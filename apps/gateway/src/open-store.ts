import type { Store } from '@gatehouse/store'
import { createPostgresStore } from '@gatehouse/store-postgres'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import type { GatewayConfig } from './config/config.js'
import { personalDataCodec } from './privacy/personal-data.js'

/**
 * The store named by DATABASE_URL, with pending migrations applied unless told otherwise, and
 * client addresses, user agents and device names sealed under GATEHOUSE_MASTER_KEY (the
 * migration seals what an earlier version stored in clear).
 */
export async function openStore(
  config: Pick<GatewayConfig, 'database' | 'masterKey'>,
  options: {
    migrate?: boolean
    onError?: (error: Error) => void
    /** Postgres: `false` for a process that caches no sessions and holds no lease (the CLI). */
    sessionCache?: false
  } = {},
): Promise<Store> {
  const target = config.database
  const personalData = personalDataCodec(config.masterKey)
  switch (target.kind) {
    case 'sqlite':
      return createSqliteStore({ path: target.path, migrate: options.migrate ?? true, personalData })
    case 'postgres':
      // Several gateways may share it; its `revocations` feed tells each about the others' logouts.
      return createPostgresStore({
        url: target.url,
        migrate: options.migrate ?? true,
        personalData,
        ...(options.sessionCache === false ? { sessionCache: false as const } : {}),
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      })
  }
}
