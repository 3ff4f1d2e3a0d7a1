import { errorField, StoreError } from '@gatehouse/store'

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

/**
 * After `op` failed once with `first`: runs it again (MAX_ATTEMPTS in all, after a short random
 * pause each time) while Postgres says it may; otherwise throws what it last threw.
 */
async function retryTransient<R>(first: unknown, op: () => Promise<R>): Promise<R> {
  let error = first
  for (let attempt = 1; ; attempt++) {
    const code = pgErrorCode(error)
    if (attempt >= MAX_ATTEMPTS || code === undefined || !TRANSIENT.has(code)) throw error
    await pause(attempt)
    try {
      return await op()
    } catch (next) {
      error = next
    }
  }
}

/**
 * Every operation's failure as a StoreError naming the SQLSTATE only (never SQL or values),
 * after a bounded retry of serialization failures and deadlocks. One wrapper, as cheap as the
 * shared one when the first attempt succeeds (the hot path's lookups).
 */
export function withStoreErrors<T extends object>(ops: T): T {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(ops)) {
    if (typeof value !== 'function') {
      wrapped[name] = value
      continue
    }
    const op = value as (...a: unknown[]) => Promise<unknown>
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await op.apply(ops, args)
      } catch (first) {
        try {
          return await retryTransient(first, () => op.apply(ops, args))
        } catch (error) {
          throw toStoreError(error, name)
        }
      }
    }
  }
  return wrapped as T
}

export function toStoreError(error: unknown, operation: string): StoreError {
  if (error instanceof StoreError) return error
  const code = pgErrorCode(error)
  const constraint = errorField(error, 'constraint')
  const why = [code, constraint && `constraint ${constraint}`].filter(Boolean).join(', ')
  return new StoreError('ERR_STORE_UNAVAILABLE', `postgres store: ${operation} failed${why ? ` (${why})` : ''}`)
}
