import type { Millis, RevocationReason, Session, SessionState, SessionStore, User, UserStore } from '@gatehouse/store'
import type { GatewayLease } from './gateway-lease.js'
import type { Announcer } from './revocation-acks.js'
import type { FeedInternals } from './revocation-feed.js'

type Found = { session: SessionState; user: User }
type Ops = Pick<SessionStore, 'findSessionWithUser' | 'touchSession' | 'setSessionFingerprint' | 'rotateSessionCredential' | 'revokeSession' | 'revokeUserSessions' | 'expireSessions' | 'deleteEndedSessions'> &
  Pick<UserStore, 'updateUser' | 'deleteUser'>

export interface SessionCacheDeps {
  feed: FeedInternals
  announcer: Announcer
  /** Null: this process caches nothing (the CLI), but its writes still wait for the gateways'. */
  lease: GatewayLease | null
  max: number
}

/** Frozen, so that a caller that would change a cached object throws instead of corrupting it. */
function freeze(found: Found): Found {
  Object.freeze(found.session.previousCredentials)
  Object.freeze(found.session)
  Object.freeze(found.user.roles)
  Object.freeze(found.user)
  return Object.freeze(found)
}

/**
 * `findSessionWithUser` from memory on a Postgres store, which several gateways share: the lookup
 * every authenticated request makes, here a Map hit and a clock comparison.
 *
 * A cached row is served only while the lease (gateway-lease.ts) is trusted: the listener is
 * connected, has caught up since it (re)connected, and a renewal confirmed it recently. Else the
 * lookup reads the database and caches nothing: it fails closed. Whatever can turn an allowed
 * request into a refused one (a revocation, expiry, a rotation, a new baseline, a user's new roles,
 * suspension or deletion) is, after its commit, dropped here and announced with a nonce, and the
 * write returns only when every other gateway holding a lease acknowledged it dropped the same
 * (revocation-acks.ts). So a write acknowledged to its caller is seen by every live gateway on its
 * next request. A read that raced an invalidation is not cached (the generation counter).
 * touchSession is not announced: a stale idle deadline only makes another gateway re-read
 * (`{ fresh: true }`) before it would refuse anything.
 */
export function withSessionCache<T extends Ops>(ops: T, deps: SessionCacheDeps): T {
  const { lease, announcer, max } = deps
  const bySession = new Map<string, Found>()
  const byUser = new Map<string, Set<string>>()
  // Bumped by every invalidation: a lookup that saw it change while in flight caches nothing.
  let generation = 0

  const clear = () => {
    generation++
    bySession.clear()
    byUser.clear()
  }
  const forgetSession = (id: string) => {
    generation++
    const found = bySession.get(id)
    if (found === undefined) return
    bySession.delete(id)
    byUser.get(found.user.id)?.delete(id)
  }
  const forgetUser = (userId: string) => {
    generation++
    for (const id of byUser.get(userId) ?? []) bySession.delete(id)
    byUser.delete(userId)
  }
  const remember = (id: string, found: Found) => {
    if (bySession.size >= max) clear()
    bySession.set(id, freeze(found))
    let ids = byUser.get(found.user.id)
    if (ids === undefined) byUser.set(found.user.id, (ids = new Set()))
    ids.add(id)
  }

  deps.feed.onNotice((notice) => {
    for (const id of notice.ids) forgetSession(id)
    for (const userId of notice.users) forgetUser(userId)
  })
  // Lost: nothing cached may be trusted again; back: start from empty before any renewal counts.
  deps.feed.onConnection(() => clear())
  lease?.onRestore(() => clear())

  const ended = (ids: string[]) => announcer.announce({ ids, users: [], changed: false })
  const changed = (ids: string[], users: string[] = []) => announcer.announce({ ids, users, changed: true })

  return {
    ...ops,
    findSessionWithUser(id: string, options?: { fresh?: boolean }) {
      if (lease === null) return ops.findSessionWithUser(id)
      if (options?.fresh === true) forgetSession(id)
      else if (lease.trusted()) {
        const hit = bySession.get(id)
        if (hit !== undefined) return Promise.resolve(hit)
      }
      const before = generation
      const wasTrusted = lease.trusted()
      return ops.findSessionWithUser(id).then((found) => {
        if (found === null || !wasTrusted || before !== generation || !lease.trusted()) return found
        remember(id, found)
        return found
      })
    },
    async touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis) {
      forgetSession(id)
      await ops.touchSession(id, lastSeenAt, idleExpiresAt)
      forgetSession(id)
    },
    async setSessionFingerprint(id, fingerprint) {
      forgetSession(id)
      await ops.setSessionFingerprint(id, fingerprint)
      forgetSession(id)
      await changed([id])
    },
    async rotateSessionCredential(id, rotation) {
      forgetSession(id)
      const rotated = await ops.rotateSessionCredential(id, rotation)
      forgetSession(id)
      if (rotated) await changed([id])
      return rotated
    },
    async revokeSession(id: string, reason: RevocationReason, now: Millis) {
      forgetSession(id)
      const revoked = await ops.revokeSession(id, reason, now)
      forgetSession(id)
      // Announced even when it had ended already: a caller retrying after a failed announcement
      // (a 503) must not get its answer before the gateways dropped the session.
      await ended([id])
      return revoked
    },
    async revokeUserSessions(userId, reason, now, options) {
      forgetUser(userId)
      const ids = await ops.revokeUserSessions(userId, reason, now, options)
      forgetUser(userId)
      // The user too, even with nothing left to revoke: a retry after a failed announcement.
      await announcer.announce({ ids, users: [userId], changed: false })
      return ids
    },
    async expireSessions(now: Millis) {
      const expired = await ops.expireSessions(now)
      for (const s of expired) forgetSession(s.id)
      await ended(expired.map((s) => s.id))
      return expired
    },
    async deleteEndedSessions(olderThan: Millis) {
      // Only sessions that ended go: a cached copy of one is refused anyway, like a missing row.
      clear()
      return ops.deleteEndedSessions(olderThan)
    },
    async updateUser(id, patch, now) {
      forgetUser(id)
      const user = await ops.updateUser(id, patch, now)
      forgetUser(id)
      if (user !== null) await changed([], [id])
      return user
    },
    async deleteUser(id: string) {
      forgetUser(id)
      const deleted = await ops.deleteUser(id)
      forgetUser(id)
      if (deleted) await changed([], [id])
      return deleted
    },
  }
}
