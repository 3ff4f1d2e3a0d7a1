import { expect, it } from 'vitest'
import type { RateLimitPolicy } from '../rate-limit.js'
import type { Store } from '../store.js'
import { T0 } from './fixtures.js'

const POLICY: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 5, baseLockMs: 60_000, maxLockMs: 3_600_000, forgetAfterMs: 86_400_000 }

export function rateLimitConformance(store: () => Store): void {
  it('locks a key after maxFailures within the window, doubling each lockout', async () => {
    const s = store()
    for (let i = 1; i <= 4; i++) expect((await s.recordFailure('account:a', T0 + i, POLICY)).lockedUntil).toBeNull()
    const locked = await s.recordFailure('account:a', T0 + 5, POLICY)
    expect(locked).toMatchObject({ lockedUntil: T0 + 5 + 60_000, lockouts: 1, failures: 0 })
    expect(await s.getRateLimit('account:a')).toEqual(locked)
    let t = T0 + 200_000
    for (let i = 0; i < 5; i++) await s.recordFailure('account:a', t++, POLICY)
    expect((await s.getRateLimit('account:a'))?.lockedUntil).toBe(t - 1 + 120_000)
    expect(await s.getRateLimit('account:b')).toBeNull()
  })

  it('forgets failures outside the window', async () => {
    const s = store()
    for (let i = 0; i < 4; i++) await s.recordFailure('k', T0 + i, POLICY)
    const later = await s.recordFailure('k', T0 + POLICY.windowMs + 10, POLICY)
    expect(later).toMatchObject({ failures: 1, lockedUntil: null })
  })

  it('counts every one of many concurrent failures (atomic)', async () => {
    const s = store()
    const policy = { ...POLICY, maxFailures: 1000 }
    await Promise.all(Array.from({ length: 40 }, (_, i) => s.recordFailure('ip:1.2.3.4', T0 + i, policy)))
    expect((await s.getRateLimit('ip:1.2.3.4'))?.failures).toBe(40)
  })

  it('clears a key and prunes stale unlocked keys', async () => {
    const s = store()
    await s.recordFailure('old', T0, POLICY)
    await s.recordFailure('new', T0 + 10_000, POLICY)
    for (let i = 0; i < 5; i++) await s.recordFailure('locked', T0 + i, { ...POLICY, baseLockMs: 999_999 })
    expect(await s.deleteStaleRateLimits(T0 + 5_000)).toBe(1)
    expect(await s.getRateLimit('old')).toBeNull()
    expect(await s.getRateLimit('locked')).not.toBeNull()
    await s.clearRateLimit('new')
    expect(await s.getRateLimit('new')).toBeNull()
  })
}
