import { errorField, StoreError, withStoreErrors as wrap } from '@gatehouse/store'

/** The SQLSTATE of a node-postgres error, looking through drizzle's DrizzleQueryError wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  return errorField(error, 'code')
}

export const isUniqueViolation = (error: unknown): boolean => pgErrorCode(error) === '23505'

/**
 * Serialization failure and deadlock: Postgres rolled the statement (or transaction) back, so
 * nothing of it happened and running it again is safe. Two gateways revoking every session of
 * one user at the same moment can meet this; the client should never hear of it.
 */
const TRANSIENT = new Set(['40001', '40P01'])
export const MAX_ATTEMPTS = 4

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))

/** Runs `op` again (at most MAX_ATTEMPTS times in all, after a short random pause) when Postgres says it may. */
export async function retryTransient<R>(op: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op()
    } catch (error) {
      const code = pgErrorCode(error)
      if (attempt >= MAX_ATTEMPTS || code === undefined || !TRANSIENT.has(code)) throw error
      await pause(attempt)
    }
  }
}

function withRetries<T extends object>(ops: T): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(ops)) {
    wrapped[name] = typeof value === 'function' ? (...args: unknown[]) => retryTransient(() => (value as (...a: unknown[]) => Promise<unknown>).apply(ops, args)) : value
  }
  return wrapped as T
}

/**
 * Every operation's failure as a StoreError naming the SQLSTATE only (never SQL or values),
 * after a bounded retry of serialization failures and deadlocks.
 */
export function withStoreErrors<T extends object>(ops: T): T {
  return wrap(withRetries(ops), toStoreError)
}

export function toStoreError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error
  const code = pgErrorCode(error)
  const constraint = errorField(error, 'constraint')
  const why = [code, constraint && `constraint ${constraint}`].filter(Boolean).join(', ')
  return new StoreError('ERR_STORE_UNAVAILABLE', `postgres store: ${operation} failed${why ? ` (${why})` : ''}`)
}
