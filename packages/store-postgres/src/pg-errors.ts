import { StoreError } from '@gatehouse/store'

/** The SQLSTATE of a node-postgres error, looking through drizzle's DrizzleQueryError wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}

export const isUniqueViolation = (error: unknown): boolean => pgErrorCode(error) === '23505'

/**
 * Wraps every operation so that what escapes is a StoreError with a stable code. Drizzle's
 * DrizzleQueryError carries the SQL and its parameters (hashes, encrypted keys) in its message,
 * and loggers print causes; so neither it nor the driver error (whose `detail` quotes key values)
 * is kept as the cause, only the SQLSTATE.
 */
export function withStoreErrors<T extends object>(ops: T): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(ops)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>).apply(ops, args)
            } catch (error) {
              throw toStoreError(error, name)
            }
          }
        : value
  }
  return wrapped as T
}

export function toStoreError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error
  const code = pgErrorCode(error)
  const constraint = findField(error, 'constraint')
  const why = [code, constraint && `constraint ${constraint}`].filter(Boolean).join(', ')
  return new StoreError('ERR_STORE_UNAVAILABLE', `postgres store: ${operation} failed${why ? ` (${why})` : ''}`)
}

function findField(error: unknown, field: string): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[field]
    if (typeof value === 'string') return value
  }
  return undefined
}
