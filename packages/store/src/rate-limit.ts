import type { Millis } from './types.js'

/** Attempt counters for one key (`client:<account>|<address>`, `ip:<address>`, `account:<name>`...). */
export interface RateLimitState {
  key: string
  windowStart: Millis
  /** Attempts counted in this window: failures, and attempts still being checked. */
  failures: number
  /** How many lockouts this key earned in a row; each one lasts twice as long as the last. */
  lockouts: number
  lockedUntil: Millis | null
  /** 1 once the current lockout has refused an attempt (that first refusal is the one audited), else 0. */
  refused: number
  updatedAt: Millis
}

export interface RateLimitPolicy {
  /** Attempts counted within this window... */
  windowMs: number
  /** ...up to this many, then a lockout. */
  maxFailures: number
  /** The first lockout; later ones double, up to `maxLockMs`. */
  baseLockMs: number
  maxLockMs: number
  /** After this long without an attempt, the lockout history is forgotten. */
  forgetAfterMs: number
  /**
   * After the first lockout (until the history is forgotten), every attempt starts the next,
   * longer lockout: one attempt per growing delay instead of a fresh burst after each lockout.
   */
  oneAttemptPerLockout?: boolean
}

/** One key to reserve an attempt on, under its policy. */
export interface RateLimitRequest {
  key: string
  policy: RateLimitPolicy
}

export type Reservation =
  | { allowed: true }
  | {
      allowed: false
      /** The locked key that refused (the one locked longest, when several are). */
      key: string
      lockedUntil: Millis
      /** The first refusal of this lockout of this key: the one to audit. */
      firstRefusal: boolean
    }

const threshold = (policy: RateLimitPolicy, lockouts: number): number =>
  policy.oneAttemptPerLockout === true && lockouts > 0 ? 1 : policy.maxFailures

/**
 * The next state after one more attempt. Pure, so every store applies the same rule inside its
 * own atomic read-modify-write. Called only when the key is not locked at `now`. The attempt
 * that reaches the threshold is allowed and starts the lockout, so that the next one is refused;
 * the count stays, so that giving that attempt back (`afterRelease`) lifts the lockout again.
 */
export function afterAttempt(prev: RateLimitState | null, key: string, now: Millis, policy: RateLimitPolicy): RateLimitState {
  const quiet = prev === null || now - prev.updatedAt > policy.forgetAfterMs
  const lockouts = quiet ? 0 : prev.lockouts
  // A lockout that has run its course starts a fresh count.
  const served = !quiet && prev.lockedUntil !== null && prev.lockedUntil <= now
  const inWindow = !quiet && !served && now - prev.windowStart < policy.windowMs
  const failures = (inWindow ? prev.failures : 0) + 1
  const windowStart = inWindow ? prev.windowStart : now
  if (failures >= threshold(policy, lockouts)) {
    const lockMs = Math.min(policy.baseLockMs * 2 ** lockouts, policy.maxLockMs)
    return { key, windowStart, failures, lockouts: lockouts + 1, lockedUntil: now + lockMs, refused: 0, updatedAt: now }
  }
  return { key, windowStart, failures, lockouts, lockedUntil: null, refused: 0, updatedAt: now }
}

/**
 * One reserved attempt given back (it was no failure): one fewer counted, and a lockout that
 * attempt started is lifted. Null when there is nothing to give back.
 */
export function afterRelease(prev: RateLimitState | null, now: Millis, policy: RateLimitPolicy): RateLimitState | null {
  if (prev === null || prev.failures <= 0) return null
  const failures = prev.failures - 1
  const lockedByCount = prev.lockedUntil !== null && prev.lockedUntil > now && prev.lockouts > 0 && prev.failures >= threshold(policy, prev.lockouts - 1)
  if (lockedByCount) return { ...prev, failures, lockouts: prev.lockouts - 1, lockedUntil: null, refused: 0 }
  return { ...prev, failures }
}

/**
 * The whole reservation over several keys, as each store runs it atomically: refused (and
 * nothing counted but the refusal) while any key is locked, else one attempt counted on every
 * key. Returns the rows to write back.
 */
export function reserve(
  prev: ReadonlyMap<string, RateLimitState>,
  requests: readonly RateLimitRequest[],
  now: Millis,
): { reservation: Reservation; writes: RateLimitState[] } {
  let blocking: RateLimitState | undefined
  for (const { key } of requests) {
    const state = prev.get(key)
    if (state?.lockedUntil != null && state.lockedUntil > now && state.lockedUntil > (blocking?.lockedUntil ?? 0)) blocking = state
  }
  if (blocking !== undefined) {
    const lockedUntil = blocking.lockedUntil!
    return {
      reservation: { allowed: false, key: blocking.key, lockedUntil, firstRefusal: blocking.refused === 0 },
      // Only the first refusal is written: the rest change nothing, so a flood of refused
      // attempts costs no writes (they are counted in metrics instead).
      writes: blocking.refused === 0 ? [{ ...blocking, refused: 1 }] : [],
    }
  }
  return { reservation: { allowed: true }, writes: requests.map((r) => afterAttempt(prev.get(r.key) ?? null, r.key, now, r.policy)) }
}

export interface RateLimitStore {
  getRateLimit(key: string): Promise<RateLimitState | null>
  /**
   * Reserves one attempt on every key, in one atomic step shared by every gateway and process
   * on the store (`reserve`): check and count cannot be split by a concurrent attempt, so no
   * more attempts get through than the policies allow, however many arrive at once.
   */
  reserveAttempt(requests: readonly RateLimitRequest[], now: Millis): Promise<Reservation>
  /** Gives back one reserved attempt that turned out not to be a failure, atomically (`afterRelease`). */
  releaseAttempt(request: RateLimitRequest, now: Millis): Promise<void>
  /** Keeps a marker row (no attempts, no lock) until `keepUntil`: pruning leaves it alone till then. */
  markRateLimitKey(key: string, now: Millis, keepUntil: Millis): Promise<void>
  clearRateLimit(key: string): Promise<void>
  /** Forgets keys untouched since `olderThan` and not locked (or kept) after it; returns how many. */
  deleteStaleRateLimits(olderThan: Millis): Promise<number>
}
