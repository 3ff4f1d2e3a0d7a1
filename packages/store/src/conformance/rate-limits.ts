import { expect, it } from 'vitest'
import type { RateLimitPolicy, RateLimitRequest } from '../rate-limit.js'
import type { Store } from '../store.js'
import { T0 } from './fixtures.js'

const POLICY: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 5, baseLockMs: 60_000, maxLockMs: 3_600_000, forgetAfterMs: 86_400_000 }
const one = (key: string, policy = POLICY): RateLimitRequest[] => [{ key, policy }]

export function rateLimitConformance(store: () => Store): void {
  it('allows maxFailures attempts, the last of which starts a lockout; later lockouts double', async () => {
    const s = store()
    for (let i = 1; i <= 5; i++) expect(await s.reserveAttempt(one('client:a'), T0 + i)).toEqual({ allowed: true })
    expect(await s.getRateLimit('client:a')).toMatchObject({ lockedUntil: T0 + 5 + 60_000, lockouts: 1, failures: 5, refused: 0 })
    expect(await s.reserveAttempt(one('client:a'), T0 + 6)).toEqual({ allowed: false, key: 'client:a', lockedUntil: T0 + 5 + 60_000, firstRefusal: true })
    expect(await s.reserveAttempt(one('client:a'), T0 + 7)).toMatchObject({ allowed: false, firstRefusal: false })
    expect((await s.getRateLimit('client:a'))?.refused).toBe(1)
    let t = T0 + 200_000
    for (let i = 0; i < 5; i++) expect((await s.reserveAttempt(one('client:a'), t++)).allowed).toBe(true)
    expect(await s.getRateLimit('client:a')).toMatchObject({ lockedUntil: t - 1 + 120_000, refused: 0 })
    expect(await s.getRateLimit('client:b')).toBeNull()
  })

  it('forgets attempts outside the window', async () => {
    const s = store()
    for (let i = 0; i < 4; i++) await s.reserveAttempt(one('k'), T0 + i)
    await s.reserveAttempt(one('k'), T0 + POLICY.windowMs + 10)
    expect(await s.getRateLimit('k')).toMatchObject({ failures: 1, lockedUntil: null })
  })

  it('after a first lockout, a one-attempt-per-lockout policy allows one attempt per growing delay', async () => {
    const s = store()
    const policy = { ...POLICY, maxFailures: 3, baseLockMs: 1000, oneAttemptPerLockout: true }
    for (let i = 0; i < 3; i++) expect((await s.reserveAttempt(one('account:a', policy), T0)).allowed).toBe(true)
    expect(await s.reserveAttempt(one('account:a', policy), T0 + 999)).toMatchObject({ allowed: false, lockedUntil: T0 + 1000 })
    expect((await s.reserveAttempt(one('account:a', policy), T0 + 1000)).allowed).toBe(true)
    expect(await s.reserveAttempt(one('account:a', policy), T0 + 1001)).toMatchObject({ allowed: false, lockedUntil: T0 + 1000 + 2000 })
  })

  it('refuses a reservation over several keys while any is locked, and counts nothing else then', async () => {
    const s = store()
    const both = [...one('client:x'), ...one('ip:1', { ...POLICY, maxFailures: 50 })]
    for (let i = 0; i < 5; i++) expect((await s.reserveAttempt(both, T0)).allowed).toBe(true)
    expect(await s.reserveAttempt(both, T0 + 1)).toMatchObject({ allowed: false, key: 'client:x' })
    expect((await s.getRateLimit('ip:1'))?.failures).toBe(5)
    // A refusal adds no row for a key it has not seen (a flood of made-up names grows nothing).
    const lockedIp = { ...POLICY, maxFailures: 1 }
    await s.reserveAttempt(one('ip:9', lockedIp), T0)
    expect(await s.reserveAttempt([...one('client:fresh'), ...one('ip:9', lockedIp)], T0 + 1)).toMatchObject({ allowed: false, key: 'ip:9' })
    expect(await s.getRateLimit('client:fresh')).toBeNull()
    expect((await s.reserveAttempt([...one('client:y'), ...one('ip:1', { ...POLICY, maxFailures: 50 })], T0 + 1)).allowed).toBe(true)
    expect((await s.getRateLimit('ip:1'))?.failures).toBe(6)
  })

  it('releases a reserved attempt, never below zero', async () => {
    const s = store()
    await s.reserveAttempt(one('ip:2'), T0)
    await s.reserveAttempt(one('ip:2'), T0)
    await s.releaseAttempt(one('ip:2')[0]!, T0)
    expect((await s.getRateLimit('ip:2'))?.failures).toBe(1)
    await s.releaseAttempt(one('ip:2')[0]!, T0)
    await s.releaseAttempt(one('ip:2')[0]!, T0)
    await s.releaseAttempt(one('nothing-here')[0]!, T0)
    expect((await s.getRateLimit('ip:2'))?.failures).toBe(0)
    expect(await s.getRateLimit('nothing-here')).toBeNull()
  })

  it('giving back the attempt that started a lockout lifts it; giving back an earlier one does too', async () => {
    const s = store()
    for (let i = 0; i < 5; i++) await s.reserveAttempt(one('ip:3'), T0)
    expect((await s.reserveAttempt(one('ip:3'), T0 + 1)).allowed).toBe(false)
    await s.releaseAttempt(one('ip:3')[0]!, T0 + 2)
    expect(await s.getRateLimit('ip:3')).toMatchObject({ failures: 4, lockouts: 0, lockedUntil: null })
    expect((await s.reserveAttempt(one('ip:3'), T0 + 3)).allowed).toBe(true)
    expect((await s.reserveAttempt(one('ip:3'), T0 + 4)).allowed).toBe(false)
    // Once the lockout has run its course, counting starts afresh.
    for (let i = 0; i < 5; i++) expect((await s.reserveAttempt(one('ip:3'), T0 + 3 + 60_000)).allowed).toBe(true)
    expect(await s.getRateLimit('ip:3')).toMatchObject({ failures: 5, lockouts: 2, lockedUntil: T0 + 3 + 60_000 + 120_000 })
  })

  it('of 100 concurrent reservations with a limit of 5, exactly 5 are allowed (atomic)', async () => {
    const s = store()
    const reqs = [...one('client:race'), ...one('ip:race', { ...POLICY, maxFailures: 1000 })]
    const results = await Promise.all(Array.from({ length: 100 }, () => s.reserveAttempt(reqs, T0)))
    expect(results.filter((r) => r.allowed)).toHaveLength(5)
    expect(results.filter((r) => !r.allowed && r.firstRefusal)).toHaveLength(1)
    expect(await s.getRateLimit('client:race')).toMatchObject({ lockouts: 1, refused: 1 })
    expect((await s.getRateLimit('ip:race'))?.failures).toBe(5)
  })

  it('clears a key, keeps marked keys, and prunes stale unlocked keys', async () => {
    const s = store()
    await s.reserveAttempt(one('old'), T0)
    await s.reserveAttempt(one('new'), T0 + 10_000)
    for (let i = 0; i < 5; i++) await s.reserveAttempt(one('locked', { ...POLICY, baseLockMs: 999_999 }), T0 + i)
    await s.markRateLimitKey('known:a|1', T0, T0 + 999_999)
    expect(await s.getRateLimit('known:a|1')).toMatchObject({ failures: 0, lockedUntil: T0 + 999_999 })
    expect(await s.deleteStaleRateLimits(T0 + 5_000)).toBe(1)
    expect(await s.getRateLimit('old')).toBeNull()
    expect(await s.getRateLimit('locked')).not.toBeNull()
    expect(await s.getRateLimit('known:a|1')).not.toBeNull()
    for (let i = 0; i < 5; i++) await s.reserveAttempt(one('cleared'), T0 + 6_000)
    await s.clearRateLimit('cleared')
    expect((await s.getRateLimit('cleared'))?.lockedUntil ?? null).toBeNull()
    for (let i = 0; i < 5; i++) expect((await s.reserveAttempt(one('cleared'), T0 + 6_001)).allowed).toBe(true)
    expect((await s.getRateLimit('cleared'))?.lockouts).toBe(1)
  })
}
