import { errorField, StoreError, withStoreErrors as wrap } from '@gatehouse/store'

/** better-sqlite3's code (SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, …), through drizzle's wrapper. */
export const sqliteErrorCode = (error: unknown): string | undefined => errorField(error, 'code')

/** Every operation's failure as a StoreError naming the SQLite code only (never SQL or values). */
export function withStoreErrors<T extends object>(ops: T): T {
  return wrap(ops, (error, operation) => {
    const code = sqliteErrorCode(error)
    return new StoreError('ERR_STORE_UNAVAILABLE', `sqlite store: ${operation} failed${code ? ` (${code})` : ''}`)
  })
}
