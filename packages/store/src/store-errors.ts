import { StoreError } from './errors.js'

/**
 * Wraps every operation of a store so that what escapes is a StoreError with a stable code.
 * Drizzle's query errors carry the SQL and its parameters (hashes, encrypted keys) in their
 * message, and loggers print causes; so `toStoreError` keeps neither, only what the driver's
 * code says.
 */
export function withStoreErrors<T extends object>(ops: T, toStoreError: (error: unknown, operation: string) => StoreError): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(ops)) {
    wrapped[name] =
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>).apply(ops, args)
            } catch (error) {
              throw error instanceof StoreError ? error : toStoreError(error, name)
            }
          }
        : value
  }
  return wrapped as T
}

/** The first string `field` on an error or down its chain of causes (drizzle wraps driver errors). */
export function errorField(error: unknown, field: string): string | undefined {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const value = (e as Record<string, unknown>)[field]
    if (typeof value === 'string') return value
  }
  return undefined
}
