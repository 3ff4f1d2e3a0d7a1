import type Database from 'better-sqlite3'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import type * as schema from './schema.js'

/** Drizzle over better-sqlite3, with the driver's own handle for the few raw hot-path statements. */
export type SqliteDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database }
