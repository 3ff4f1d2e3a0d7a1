import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { StoreError } from '@gatehouse/store'
import * as schema from './schema.js'
import type { SqliteDb } from './db.js'

export interface OpenedSqlite {
  db: SqliteDb
  client: Database.Database
}

/** Opens (creating if needed) a SQLite file tuned for one writer and many readers. */
export function openSqlite(path: string): OpenedSqlite {
  const isFile = path !== ':memory:'
  let client: Database.Database
  try {
    if (isFile) mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    const created = isFile && !existsSync(path)
    client = new Database(path)
    // Password hashes and key material live here: owner-only, like the secrets beside it.
    // (The -wal and -shm files SQLite makes take the same mode.)
    if (created) chmodSync(path, 0o600)
  } catch (cause) {
    throw new StoreError('ERR_STORE_UNAVAILABLE', `cannot open SQLite database at ${path}`, { cause })
  }
  // WAL lets readers proceed while one writer commits; busy_timeout makes a second process
  // (the CLI next to a running gateway) wait for the lock instead of failing at once.
  client.pragma('journal_mode = WAL')
  client.pragma('synchronous = NORMAL')
  client.pragma('foreign_keys = ON')
  client.pragma('busy_timeout = 5000')
  // Deleted and overwritten content is zeroed, not left in free pages: erased personal data and
  // replaced secrets do not linger in the file.
  client.pragma('secure_delete = ON')
  return { db: drizzle({ client, schema }), client }
}
