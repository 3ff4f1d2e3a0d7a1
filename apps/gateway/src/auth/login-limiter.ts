import type { RateLimitPolicy, RateLimitStore } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'

export interface LoginLimits {
  /** Per account: a few failures, then a lockout that doubles each time. */
  account: RateLimitPolicy
  /** Per client address: much higher, so one locked account does not lock out its neighbours. */
  address: RateLimitPolicy
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  account: { windowMs: 15 * 60_000, maxFailures: 5, baseLockMs: 60_000, maxLockMs: 60 * 60_000, forgetAfterMs: 24 * 3_600_000 },
  address: { windowMs: 15 * 60_000, maxFailures: 50, baseLockMs: 5 * 60_000, maxLockMs: 60 * 60_000, forgetAfterMs: 24 * 3_600_000 },
}

export interface LoginAttempt {
  /** Normalised username: an unknown name is limited exactly like a real one. */
  account: string
  clientIp: string
}

/**
 * Login throttling kept in the store, so it survives a restart and every gateway on the store
 * shares it. Checked before the password is: a correct password during a lockout is refused.
 */
export function createLoginLimiter(
  store: RateLimitStore,
  clock: Clock,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  /** The address's bucket key: a keyed hash (privacy/personal-data.ts), never the address itself. */
  hashClientAddress: (clientIp: string) => string,
) {
  const keys = (a: LoginAttempt) => ({ account: `account:${a.account}`, address: `ip:${hashClientAddress(a.clientIp)}` })

  return {
    /** Throws 429 with Retry-After while either key is locked. */
    async check(attempt: LoginAttempt): Promise<void> {
      const now = clock.now()
      const { account, address } = keys(attempt)
      const states = await Promise.all([store.getRateLimit(account), store.getRateLimit(address)])
      const until = Math.max(...states.map((s) => (s?.lockedUntil ?? 0)))
      if (until > now) {
        const retryAfter = Math.ceil((until - now) / 1000)
        throw new GatewayError('ERR_RATE_LIMITED', {
          detail: `too many failed attempts; try again in ${retryAfter} s`,
          headers: { 'retry-after': String(retryAfter) },
          extensions: { retryAfter },
        })
      }
    },
    /** Counts a failure against both keys; true when that failure started a lockout. */
    async failed(attempt: LoginAttempt): Promise<boolean> {
      const now = clock.now()
      const { account, address } = keys(attempt)
      const [a, b] = await Promise.all([
        store.recordFailure(account, now, limits.account),
        store.recordFailure(address, now, limits.address),
      ])
      return (a.lockedUntil ?? 0) > now || (b.lockedUntil ?? 0) > now
    },
    /** A success clears the account's count; never the address's (one good account must not launder it). */
    async succeeded(attempt: LoginAttempt): Promise<void> {
      await store.clearRateLimit(keys(attempt).account)
    },
  }
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>
