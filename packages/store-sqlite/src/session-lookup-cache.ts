import type Database from 'better-sqlite3'
import type { Millis, RevocationReason, Session, SessionStore, User, UserStore } from '@gatehouse/store'

type Found = { session: Session; user: User }
type Ops = Pick<SessionStore, 'findSessionWithUser' | 'touchSession' | 'setSessionFingerprint' | 'rotateSessionCredential' | 'revokeSession' | 'revokeUserSessions' | 'expireSessions' | 'deleteEndedSessions'> &
  Pick<UserStore, 'updateUser' | 'deleteUser'>

/**
 * Keeps what `findSessionWithUser` read, because that lookup runs on every authenticated request.
 * Never stale: every write this store makes to a session or user drops the entries it touches,
 * and a write by any other connection to the file (the CLI, a second gateway) is seen through
 * `PRAGMA data_version`, which changes exactly then, and clears everything. That check is one
 * trivial statement, far cheaper than the join it saves.
 */
export function withSessionLookupCache<T extends Ops>(ops: T, client: Database.Database, max = 100_000): T {
  const dataVersion = client.prepare('PRAGMA data_version').pluck()
  let version = dataVersion.get()
  const bySession = new Map<string, Found>()
  const byUser = new Map<string, Set<string>>()

  const clear = () => {
    bySession.clear()
    byUser.clear()
  }
  const forgetSession = (id: string) => {
    const found = bySession.get(id)
    if (found === undefined) return
    bySession.delete(id)
    byUser.get(found.user.id)?.delete(id)
  }
  const forgetUser = (userId: string) => {
    for (const id of byUser.get(userId) ?? []) bySession.delete(id)
    byUser.delete(userId)
  }
  const copy = (f: Found): Found => ({ session: { ...f.session }, user: { ...f.user } })

  return {
    ...ops,
    // `fresh` needs nothing more here: `data_version` makes every lookup current.
    async findSessionWithUser(id: string) {
      const now = dataVersion.get()
      if (now !== version) {
        version = now
        clear()
      }
      const hit = bySession.get(id)
      if (hit !== undefined) return copy(hit)
      const found = await ops.findSessionWithUser(id)
      if (found === null) return null
      if (bySession.size >= max) clear()
      bySession.set(id, copy(found))
      let ids = byUser.get(found.user.id)
      if (ids === undefined) byUser.set(found.user.id, (ids = new Set()))
      ids.add(id)
      return found
    },
    async touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis) {
      forgetSession(id)
      const result = await ops.touchSession(id, lastSeenAt, idleExpiresAt)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetSession(id)
      return result
    },
    async setSessionFingerprint(id, fingerprint) {
      forgetSession(id)
      const result = await ops.setSessionFingerprint(id, fingerprint)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetSession(id)
      return result
    },
    async rotateSessionCredential(id, rotation) {
      forgetSession(id)
      const result = await ops.rotateSessionCredential(id, rotation)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetSession(id)
      return result
    },
    async revokeSession(id: string, reason: RevocationReason, now: Millis) {
      forgetSession(id)
      const result = await ops.revokeSession(id, reason, now)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetSession(id)
      return result
    },
    async revokeUserSessions(userId, reason, now, options) {
      forgetUser(userId)
      const result = await ops.revokeUserSessions(userId, reason, now, options)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetUser(userId)
      return result
    },
    async expireSessions(now: Millis) {
      const expired = await ops.expireSessions(now)
      for (const s of expired) forgetSession(s.id)
      return expired
    },
    async deleteEndedSessions(olderThan: Millis) {
      clear()
      return ops.deleteEndedSessions(olderThan)
    },
    async updateUser(id, patch, now) {
      forgetUser(id)
      const result = await ops.updateUser(id, patch, now)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetUser(id)
      return result
    },
    async deleteUser(id: string) {
      forgetUser(id)
      const result = await ops.deleteUser(id)
      // Again after: a read may have run while the write waited for the file's lock.
      forgetUser(id)
      return result
    },
  }
}
