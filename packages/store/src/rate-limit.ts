import type { Millis } from './types.js'

/** Login-failure counters for one key (`account:<name>` or `ip:<address>`). */
export interface RateLimitState {
  key: string
  windowStart: Millis
  failures: number
  /** How many lockouts this key earned in a row; each one lasts twice as long as the last. */
  lockouts: number
  lockedUntil: Millis | null
  updatedAt: Millis
}

export interface RateLimitPolicy {
  /** Failures counted within this window... */
  windowMs: number
  /** ...up to this many, then a lockout. */
  maxFailures: number
  /** The first lockout; later ones double, up to `maxLockMs`. */
  baseLockMs: number
  maxLockMs: number
  /** After this long without a failure, the lockout history is forgotten. */
  forgetAfterMs: number
}

/**
 * The next state after one more failure. Pure, so every store applies the same rule inside its
 * own atomic read-modify-write.
 */
export function afterFailure(prev: RateLimitState | null, key: string, now: Millis, policy: RateLimitPolicy): RateLimitState {
  const quiet = prev === null || now - prev.updatedAt > policy.forgetAfterMs
  const lockouts = quiet ? 0 : prev.lockouts
  const inWindow = !quiet && now - prev.windowStart < policy.windowMs
  const failures = (inWindow ? prev.failures : 0) + 1
  const windowStart = inWindow ? prev.windowStart : now
  if (failures >= policy.maxFailures) {
    const lockMs = Math.min(policy.baseLockMs * 2 ** lockouts, policy.maxLockMs)
    return { key, windowStart: now, failures: 0, lockouts: lockouts + 1, lockedUntil: now + lockMs, updatedAt: now }
  }
  return { key, windowStart, failures, lockouts, lockedUntil: quiet ? null : prev.lockedUntil, updatedAt: now }
}

export interface RateLimitStore {
  getRateLimit(key: string): Promise<RateLimitState | null>
  /** Atomically applies `afterFailure` to the key, shared by every gateway on the store. */
  recordFailure(key: string, now: Millis, policy: RateLimitPolicy): Promise<RateLimitState>
  clearRateLimit(key: string): Promise<void>
  /** Forgets keys untouched since `olderThan` and not locked; returns how many. */
  deleteStaleRateLimits(olderThan: Millis): Promise<number>
}
