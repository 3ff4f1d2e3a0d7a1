export { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js'
export { migrateSqlite, SQLITE_MIGRATIONS } from './migrate.js'
export { openSqlite } from './open.js'
