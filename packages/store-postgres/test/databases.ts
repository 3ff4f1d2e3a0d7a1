import { getTableName, is } from 'drizzle-orm'
import { PgTable } from 'drizzle-orm/pg-core'
import { Client } from 'pg'
import { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../src/index.js'
import * as schema from '../src/schema.js'
import type { PgCluster } from './pg-cluster.js'

const DELETE_ALL = Object.values(schema)
  .filter((value) => is(value, PgTable))
  .map((table) => `delete from "${getTableName(table)}";`)
  .join(' ')

/**
 * One migrated database for a test file, emptied before each test. `CREATE DATABASE … TEMPLATE`
 * per test costs about 250 ms on a two-core machine, and a suite of fifty tests felt it; deleting
 * every row (TRUNCATE makes new files, slower still on small tables) gives each test the same
 * empty, migrated state in a few milliseconds. The audit trigger refuses the DELETE, so the reset
 * runs with triggers off (`session_replication_role = replica`, a superuser-only setting). Stores connect
 * over the unix socket: a test opens a pool of up to ten connections, and SCRAM over TCP costs
 * about 13 ms of CPU per connection.
 */
export function emptyDatabase(cluster: PgCluster, name: string) {
  let ready: Promise<{ url: string; admin: Client }> | undefined
  const setup = () =>
    (ready ??= (async () => {
      await cluster.createDatabase(name)
      const url = cluster.socketUrl(name)
      await (await createPostgresStore({ url })).close()
      const admin = new Client({ connectionString: url })
      await admin.connect()
      return { url, admin }
    })())
  return {
    /** Empties every table and returns the database's URL. */
    async reset(): Promise<string> {
      const { url, admin } = await setup()
      await admin.query(`set session_replication_role = replica; ${DELETE_ALL} reset session_replication_role`)
      return url
    },
    /** A store on the just-emptied database (it checks for pending migrations on open, as a gateway does). */
    async store(options: Omit<PostgresStoreOptions, 'url'> = {}): Promise<PostgresStore> {
      return createPostgresStore({ url: await this.reset(), ...options })
    },
    async close(): Promise<void> {
      if (ready) await (await ready).admin.end()
    },
  }
}
