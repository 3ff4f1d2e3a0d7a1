import type { RateLimitPolicy, RateLimitRequest, RateLimitStore } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'
import { addressBucket } from './address-bucket.js'

export interface LoginLimits {
  /** Per account and client address: a few failures, then a lockout that doubles each time. */
  client: RateLimitPolicy
  /** Per client address over every account: higher, so one locked account does not lock out its neighbours. */
  address: RateLimitPolicy
  /**
   * Per account over every address: higher still, and then one attempt per growing delay rather
   * than a hard lock. Addresses the account signed in from lately are exempt, so a guesser
   * elsewhere slows an attack down without locking the owner out.
   */
  account: RateLimitPolicy
  /** How long a successful sign-in exempts its address from the per-account limit. */
  knownAddressMs: number
}

const DAY = 24 * 3_600_000

export function loginLimits(o: {
  windowS: number
  clientFailures: number
  addressFailures: number
  accountFailures: number
  lockoutS: number
  maxLockoutS: number
  accountDelayS: number
  maxAccountDelayS: number
}): LoginLimits {
  const windowMs = o.windowS * 1000
  const maxLockMs = o.maxLockoutS * 1000
  return {
    client: { windowMs, maxFailures: o.clientFailures, baseLockMs: o.lockoutS * 1000, maxLockMs, forgetAfterMs: DAY },
    address: { windowMs, maxFailures: o.addressFailures, baseLockMs: Math.min(5 * o.lockoutS * 1000, maxLockMs), maxLockMs, forgetAfterMs: DAY },
    account: {
      windowMs,
      maxFailures: o.accountFailures,
      baseLockMs: o.accountDelayS * 1000,
      maxLockMs: o.maxAccountDelayS * 1000,
      forgetAfterMs: DAY,
      oneAttemptPerLockout: true,
    },
    knownAddressMs: 30 * DAY,
  }
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = loginLimits({
  windowS: 900,
  clientFailures: 5,
  addressFailures: 50,
  accountFailures: 20,
  lockoutS: 60,
  maxLockoutS: 3600,
  accountDelayS: 5,
  maxAccountDelayS: 300,
})

export interface LoginAttempt {
  /** Normalised username: an unknown name is limited exactly like a real one. */
  account: string
  clientIp: string
}

/** Which limit refused: `client` (this account from this address), `address` or `account`. */
export type LimitScope = 'client' | 'address' | 'account'

export interface LimitRefusal {
  refused: true
  error: GatewayError
  scope: LimitScope
  /** The first refusal of this lockout: audit it; the later ones are only counted. */
  firstRefusal: boolean
  retryAfterS: number
}

/** An attempt counted as a failure until it is given back. */
export interface ReservedAttempt {
  refused: false
  /**
   * The password was right: this account and address start afresh and the address is known for
   * the account from now on; the address's and the account's counts get the attempt back (one
   * good account must not launder an address's failures).
   */
  succeeded(): Promise<void>
  /** The attempt ended before any password was judged wrong (a suspended account): give it back. */
  release(): Promise<void>
}

/**
 * Login throttling kept in the store, so it survives a restart and every gateway and worker on
 * the store shares it. An attempt is reserved (counted as a failure) atomically before the
 * password is checked, so parallel guesses cannot all slip in before the first one is counted:
 * no more passwords are checked than the limits allow.
 */
export function createLoginLimiter(
  store: RateLimitStore,
  clock: Clock,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  /** The address's bucket key: a keyed hash (privacy/personal-data.ts), never the address itself. */
  hashClientAddress: (clientIp: string) => string,
) {
  const scopeOf = (key: string): LimitScope => (key.startsWith('client:') ? 'client' : key.startsWith('ip:') ? 'address' : 'account')

  return {
    /** Reserves one attempt, or says which limit refuses it (429 with Retry-After). */
    async reserve(attempt: LoginAttempt): Promise<ReservedAttempt | LimitRefusal> {
      const now = clock.now()
      // The address's bucket (an IPv6 /64) as a keyed hash: no address is stored in clear.
      const where = hashClientAddress(addressBucket(attempt.clientIp))
      const client = `client:${attempt.account}|${where}`
      const address = `ip:${where}`
      const account = `account:${attempt.account}`
      const known = `known:${attempt.account}|${where}`
      const isKnown = ((await store.getRateLimit(known))?.lockedUntil ?? 0) > now
      const requests: RateLimitRequest[] = [
        { key: client, policy: limits.client },
        { key: address, policy: limits.address },
      ]
      if (!isKnown) requests.push({ key: account, policy: limits.account })
      const reservation = await store.reserveAttempt(requests, now)
      if (reservation.allowed) {
        return {
          refused: false,
          async succeeded() {
            const at = clock.now()
            await store.clearRateLimit(client)
            for (const r of requests) if (r.key !== client) await store.releaseAttempt(r, at)
            await store.markRateLimitKey(known, at, at + limits.knownAddressMs)
          },
          async release() {
            const at = clock.now()
            for (const r of requests) await store.releaseAttempt(r, at)
          },
        }
      }
      const retryAfterS = Math.max(1, Math.ceil((reservation.lockedUntil - now) / 1000))
      const error = new GatewayError('ERR_RATE_LIMITED', {
        detail: `too many failed attempts; try again in ${retryAfterS} s`,
        headers: { 'retry-after': String(retryAfterS) },
        extensions: { retryAfter: retryAfterS },
      })
      return { refused: true, error, scope: scopeOf(reservation.key), firstRefusal: reservation.firstRefusal, retryAfterS }
    },
  }
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>
