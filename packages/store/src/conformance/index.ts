import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '../audit-chain.js'
import { personalDataConformance } from './personal-data.js'
import type { Store } from '../store.js'
import { newSession, newUser, stateOf, T0 } from './fixtures.js'
import { rateLimitConformance } from './rate-limits.js'
import { oidcConformance } from './oidc.js'
import { refreshTokenConformance } from './refresh-tokens.js'
import { revocationFeedConformance } from './revocation-feed.js'
import { signingKeyConformance } from './signing-keys.js'

export { newSession, newUser, stateOf, T0 } from './fixtures.js'
export { newSigningKey } from './signing-keys.js'

/**
 * The behaviour every Store implementation owes the gateway. Each implementation's test file
 * calls this with a factory that returns a fresh, migrated, empty store.
 */
export function describeStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store
    beforeEach(async () => {
      store = await makeStore()
    })
    afterEach(async () => {
      await store.close()
    })

    describe('users', () => {
      it('creates, finds by id and by username, and lists', async () => {
        const u = await store.createUser(newUser({ username: 'alice', roles: ['admin', 'user'] }))
        expect(u.passwordChangedAt).toBe(T0)
        expect(await store.findUserById(u.id)).toEqual(u)
        expect(await store.findUserByUsername('alice')).toEqual(u)
        expect(await store.findUserByUsername('bob')).toBeNull()
        expect((await store.listUsers()).map((x) => x.username)).toEqual(['alice'])
      })

      it('refuses a taken username with ERR_STORE_CONFLICT and keeps the first user', async () => {
        const first = await store.createUser(newUser({ username: 'alice' }))
        await expect(store.createUser(newUser({ username: 'alice' }))).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' })
        expect(await store.findUserByUsername('alice')).toEqual(first)
      })

      it('updates password, roles and suspension', async () => {
        const u = await store.createUser(newUser())
        const updated = await store.updateUser(u.id, { passwordHash: 'new', roles: ['x'], suspendedAt: T0 + 5 }, T0 + 10)
        expect(updated).toMatchObject({ passwordHash: 'new', roles: ['x'], suspendedAt: T0 + 5, passwordChangedAt: T0 + 10, updatedAt: T0 + 10 })
        const unsuspended = await store.updateUser(u.id, { suspendedAt: null }, T0 + 20)
        expect(unsuspended).toMatchObject({ suspendedAt: null, passwordChangedAt: T0 + 10 })
        expect(await store.updateUser('nope', { roles: [] }, T0)).toBeNull()
      })

      it('deleting a user deletes its sessions', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        expect(await store.deleteUser(u.id)).toBe(true)
        expect(await store.findSession(s.id)).toBeNull()
        expect(await store.deleteUser(u.id)).toBe(false)
      })
    })

    describe('sessions', () => {
      it('creates and finds a session exactly as given', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        expect(await store.findSession(s.id)).toEqual(s)
        expect(await store.findSession('missing')).toBeNull()
      })

      it('finds a session together with its user, as stored now', async () => {
        const u = await store.createUser(newUser({ roles: ['a', 'b'] }))
        const s = newSession(u.id)
        await store.createSession(s)
        const found = await store.findSessionWithUser(s.id)
        expect(found).toEqual({ session: stateOf(s), user: u })
        // The lookup on every request carries neither the user agent nor the address; findSession does.
        for (const field of ['userAgent', 'clientIp']) expect(found!.session).not.toHaveProperty(field)
        await store.revokeSession(s.id, 'logout', T0 + 1)
        const suspended = await store.updateUser(u.id, { suspendedAt: T0 + 2, roles: ['c'] }, T0 + 2)
        expect(await store.findSessionWithUser(s.id)).toEqual({
          session: { ...stateOf(s), revokedAt: T0 + 1, revokedReason: 'logout' },
          user: suspended,
        })
        expect(await store.findSessionWithUser('missing')).toBeNull()
      })

      it('idle-deadline writes of many sessions at once each move their own session; a revoked one stays as it ended', async () => {
        const u = await store.createUser(newUser())
        const sessions = Array.from({ length: 6 }, () => newSession(u.id))
        for (const s of sessions) await store.createSession(s)
        await store.revokeSession(sessions[5]!.id, 'logout', T0 + 1)
        await Promise.all(sessions.map((s, i) => store.touchSession(s.id, T0 + 10 + i, s.idleExpiresAt + 10 + i)))
        for (const [i, s] of sessions.slice(0, 5).entries()) {
          expect(await store.findSession(s.id)).toMatchObject({ lastSeenAt: T0 + 10 + i, idleExpiresAt: s.idleExpiresAt + 10 + i })
        }
        expect(await store.findSession(sessions[5]!.id)).toMatchObject({ lastSeenAt: sessions[5]!.lastSeenAt, revokedAt: T0 + 1 })
      })

      it('lookups of many sessions arriving at once each find their own session and user', async () => {
        // (Postgres runs a cohort's lookups as one statement.)
        const users = await Promise.all(Array.from({ length: 4 }, (_, i) => store.createUser(newUser({ roles: [`r${i}`] }))))
        const sessions = users.flatMap((u) => [newSession(u.id), newSession(u.id)])
        for (const s of sessions) await store.createSession(s)
        await store.revokeSession(sessions[3]!.id, 'logout', T0 + 1)
        const ids = [...sessions.map((s) => s.id), 'missing', sessions[0]!.id]
        const found = await Promise.all(ids.map((id) => store.findSessionWithUser(id)))
        sessions.forEach((s, i) => {
          const user = users.find((u) => u.id === s.userId)
          expect(found[i]).toEqual({ session: i === 3 ? { ...stateOf(s), revokedAt: T0 + 1, revokedReason: 'logout' } : stateOf(s), user })
        })
        expect(found[sessions.length]).toBeNull()
        expect(found[sessions.length + 1]).toEqual(found[0])
      })

      it('a fresh lookup reads the row as stored now, after touches and rotations as after revocations', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        expect(await store.findSessionWithUser(s.id, { fresh: true })).toEqual({ session: stateOf(s), user: u })
        await store.findSessionWithUser(s.id)
        await store.touchSession(s.id, T0 + 5, T0 + 50_000)
        const rotation = { expectedHash: s.credentialHash, newHash: 'fresh-hash', now: T0 + 6, previousCredentials: [{ hash: s.credentialHash, rotatedAt: T0 + 6 }] }
        expect(await store.rotateSessionCredential(s.id, rotation)).toBe(true)
        expect((await store.findSessionWithUser(s.id, { fresh: true }))?.session).toMatchObject({ credentialHash: 'fresh-hash', lastSeenAt: T0 + 5, idleExpiresAt: T0 + 50_000 })
        expect((await store.findSessionWithUser(s.id))?.session).toMatchObject({ credentialHash: 'fresh-hash', lastSeenAt: T0 + 5 })
        await store.revokeSession(s.id, 'logout', T0 + 7)
        expect((await store.findSessionWithUser(s.id, { fresh: true }))?.session.revokedReason).toBe('logout')
        expect(await store.findSessionWithUser('missing', { fresh: true })).toBeNull()
      })

      it('touch slides idle expiry, but not on a revoked session', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        await store.touchSession(s.id, T0 + 60_000, T0 + 90_000)
        expect(await store.findSession(s.id)).toMatchObject({ lastSeenAt: T0 + 60_000, idleExpiresAt: T0 + 90_000 })
        await store.revokeSession(s.id, 'logout', T0 + 70_000)
        await store.touchSession(s.id, T0 + 80_000, T0 + 99_000)
        expect(await store.findSession(s.id)).toMatchObject({ lastSeenAt: T0 + 60_000 })
      })

      it('rotates the credential by compare-and-set: exactly one of many racers wins', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.rotateSessionCredential(s.id, {
              expectedHash: s.credentialHash,
              newHash: `new-${i}`,
              now: T0 + 1,
              previousCredentials: [{ hash: s.credentialHash, rotatedAt: T0 + 1 }],
            }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const after = await store.findSession(s.id)
        expect(after?.previousCredentials).toEqual([{ hash: s.credentialHash, rotatedAt: T0 + 1 }])
        expect(after?.credentialHash).toBe(`new-${results.indexOf(true)}`)
        expect(after?.credentialRotatedAt).toBe(T0 + 1)
      })

      it('keeps every predecessor it is given, newest first, through lookups, revocation and expiry', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        expect((await store.findSessionWithUser(s.id))?.session.previousCredentials).toEqual([])
        let current = s.credentialHash
        let previous: { hash: string; rotatedAt: number }[] = []
        for (let i = 1; i <= 5; i++) {
          previous = [{ hash: current, rotatedAt: T0 + i }, ...previous]
          expect(await store.rotateSessionCredential(s.id, { expectedHash: current, newHash: `h${i}`, now: T0 + i, previousCredentials: previous })).toBe(true)
          current = `h${i}`
        }
        // A rotation from a stale view (an old current hash) changes nothing.
        expect(await store.rotateSessionCredential(s.id, { expectedHash: 'h3', newHash: 'x', now: T0 + 9, previousCredentials: [] })).toBe(false)
        const found = await store.findSessionWithUser(s.id)
        expect(found?.session).toMatchObject({ credentialHash: 'h5', credentialRotatedAt: T0 + 5, previousCredentials: previous })
        expect(found?.session.previousCredentials.map((p) => p.hash)).toEqual(['h4', 'h3', 'h2', 'h1', s.credentialHash])
        expect((await store.findSession(s.id))?.previousCredentials).toEqual(previous)
        expect((await store.listActiveSessions(u.id, T0 + 5))[0]?.previousCredentials).toEqual(previous)
        expect((await store.revokeSession(s.id, 'logout', T0 + 6))?.previousCredentials).toEqual(previous)
        const other = newSession(u.id, { previousCredentials: [{ hash: 'p', rotatedAt: T0 - 1 }], idleExpiresAt: T0 + 10 })
        await store.createSession(other)
        expect((await store.expireSessions(T0 + 20)).find((x) => x.id === other.id)?.previousCredentials).toEqual([{ hash: 'p', rotatedAt: T0 - 1 }])
      })

      it('does not rotate a revoked or expired session', async () => {
        const u = await store.createUser(newUser())
        const revoked = newSession(u.id)
        const expired = newSession(u.id, { idleExpiresAt: T0 + 10 })
        await store.createSession(revoked)
        await store.createSession(expired)
        await store.revokeSession(revoked.id, 'logout', T0)
        expect(await store.rotateSessionCredential(revoked.id, { expectedHash: revoked.credentialHash, newHash: 'n', now: T0 + 1, previousCredentials: [] })).toBe(false)
        expect(await store.rotateSessionCredential(expired.id, { expectedHash: expired.credentialHash, newHash: 'n', now: T0 + 20, previousCredentials: [] })).toBe(false)
      })

      it('revokes once, keeping the first reason and time', async () => {
        const u = await store.createUser(newUser())
        const s = newSession(u.id)
        await store.createSession(s)
        expect(await store.revokeSession(s.id, 'logout', T0 + 1)).toMatchObject({ id: s.id, revokedAt: T0 + 1, revokedReason: 'logout' })
        expect(await store.revokeSession(s.id, 'reuse_detected', T0 + 2)).toBeNull()
        expect(await store.findSession(s.id)).toMatchObject({ revokedAt: T0 + 1, revokedReason: 'logout' })
        expect(await store.revokeSession('unknown', 'logout', T0)).toBeNull()
      })

      it("revokes every live session of one user, optionally but one, and no one else's", async () => {
        const a = await store.createUser(newUser())
        const b = await store.createUser(newUser())
        const [a1, a2, a3] = [newSession(a.id), newSession(a.id), newSession(a.id)]
        const b1 = newSession(b.id)
        for (const s of [a1, a2, a3, b1]) await store.createSession(s)
        await store.revokeSession(a3.id, 'logout', T0)
        const revoked = await store.revokeUserSessions(a.id, 'password_changed', T0 + 5, { exceptSessionId: a1.id })
        expect(revoked).toEqual([a2.id])
        expect(await store.findSession(a1.id)).toMatchObject({ revokedAt: null })
        expect(await store.findSession(a3.id)).toMatchObject({ revokedReason: 'logout' })
        expect(await store.findSession(b1.id)).toMatchObject({ revokedAt: null })
        expect((await store.revokeUserSessions(a.id, 'suspended', T0 + 6)).sort()).toEqual([a1.id])
      })

      it('lists only live sessions of the user, most recently seen first', async () => {
        const a = await store.createUser(newUser())
        const b = await store.createUser(newUser())
        const older = newSession(a.id, { lastSeenAt: T0 })
        const newer = newSession(a.id, { lastSeenAt: T0 + 100 })
        const revoked = newSession(a.id)
        const idle = newSession(a.id, { idleExpiresAt: T0 + 50 })
        const absolute = newSession(a.id, { absoluteExpiresAt: T0 + 50 })
        for (const s of [older, newer, revoked, idle, absolute, newSession(b.id)]) await store.createSession(s)
        await store.revokeSession(revoked.id, 'logout', T0)
        const list = await store.listActiveSessions(a.id, T0 + 60)
        expect(list.map((s) => s.id)).toEqual([newer.id, older.id])
        expect(await store.countActiveSessions(T0 + 60)).toBe(3)
      })

      it('expires live sessions past their idle or absolute expiry, once', async () => {
        const u = await store.createUser(newUser())
        const live = newSession(u.id)
        const idle = newSession(u.id, { idleExpiresAt: T0 + 10 })
        const absolute = newSession(u.id, { absoluteExpiresAt: T0 + 10 })
        const revoked = newSession(u.id, { idleExpiresAt: T0 + 10 })
        for (const s of [live, idle, absolute, revoked]) await store.createSession(s)
        await store.revokeSession(revoked.id, 'logout', T0 + 1)
        const expired = await store.expireSessions(T0 + 10)
        expect(expired.map((s) => s.id).sort()).toEqual([idle.id, absolute.id].sort())
        expect(expired.every((s) => s.revokedReason === 'expired' && s.revokedAt === T0 + 10)).toBe(true)
        expect(await store.expireSessions(T0 + 20)).toEqual([])
        expect(await store.findSession(revoked.id)).toMatchObject({ revokedReason: 'logout' })
        expect(await store.findSession(live.id)).toMatchObject({ revokedAt: null })
      })

      it('deletes sessions that ended before a time and keeps the rest', async () => {
        const u = await store.createUser(newUser())
        const live = newSession(u.id)
        const expired = newSession(u.id, { idleExpiresAt: T0 + 10 })
        const revoked = newSession(u.id)
        for (const s of [live, expired, revoked]) await store.createSession(s)
        await store.revokeSession(revoked.id, 'logout', T0 + 5)
        expect(await store.deleteEndedSessions(T0 + 20)).toBe(2)
        expect(await store.findSession(live.id)).not.toBeNull()
        expect(await store.findSession(expired.id)).toBeNull()
      })
    })

    describe('audit', () => {
      it('chains events by hash and verifies the chain', async () => {
        const e1 = await store.appendAudit({ type: 'login.succeeded', at: T0, userId: 'u1', details: { b: 1, a: 'x' } })
        const e2 = await store.appendAudit({ type: 'session.revoked', at: T0 + 1, userId: 'u1', sessionId: 's1' })
        expect(e1.seq).toBe(1)
        expect(e2.prevHash).toBe(e1.hash)
        expect(await verifyAuditChain((after, limit) => store.auditPage(after, limit))).toEqual({ ok: true, checked: 2 })
      })

      it('keeps the chain whole under concurrent appends', async () => {
        await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendAudit({ type: 't', at: T0 + i })))
        const result = await verifyAuditChain((after, limit) => store.auditPage(after, limit), 7)
        expect(result).toEqual({ ok: true, checked: 50 })
      })

      it('filters by user, type and time, newest first', async () => {
        await store.appendAudit({ type: 'a', at: T0, userId: 'u1' })
        await store.appendAudit({ type: 'b', at: T0 + 10, userId: 'u1' })
        await store.appendAudit({ type: 'a', at: T0 + 20, userId: 'u2' })
        expect((await store.listAudit({ userId: 'u1' })).map((e) => e.type)).toEqual(['b', 'a'])
        expect((await store.listAudit({ type: 'a' })).map((e) => e.userId)).toEqual(['u2', 'u1'])
        expect((await store.listAudit({ since: T0 + 10 })).map((e) => e.at)).toEqual([T0 + 20, T0 + 10])
        expect(await store.listAudit({ limit: 1 })).toHaveLength(1)
      })
    })

    describe('personal data', () => personalDataConformance(() => store))
    describe('rate limits', () => rateLimitConformance(() => store))
    describe('signing keys', () => signingKeyConformance(() => store))
    describe('refresh tokens', () => refreshTokenConformance(() => store))
    describe('OpenID Connect', () => oidcConformance(() => store))
    describe('revocation feed', () => revocationFeedConformance(() => store))

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}
