import { errorField, StoreError, withStoreErrors as wrap } from '@gatehouse/store'

/** The SQLSTATE of a node-postgres error, looking through drizzle's DrizzleQueryError wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  return errorField(error, 'code')
}

export const isUniqueViolation = (error: unknown): boolean => pgErrorCode(error) === '23505'

/** Every operation's failure as a StoreError naming the SQLSTATE only (never SQL or values). */
export function withStoreErrors<T extends object>(ops: T): T {
  return wrap(ops, toStoreError)
}

export function toStoreError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error
  const code = pgErrorCode(error)
  const constraint = errorField(error, 'constraint')
  const why = [code, constraint && `constraint ${constraint}`].filter(Boolean).join(', ')
  return new StoreError('ERR_STORE_UNAVAILABLE', `postgres store: ${operation} failed${why ? ` (${why})` : ''}`)
}
