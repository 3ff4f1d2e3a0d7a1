import type Database from 'better-sqlite3'
import type { Millis, RevocationReason, Session, SessionState, SessionStore, User, UserStore } from '@gatehouse/store'

type Found = { session: SessionState; user: User }
type Ops = Pick<SessionStore, 'findSessionWithUser' | 'touchSession' | 'setSessionFingerprint' | 'rotateSessionCredential' | 'revokeSession' | 'revokeUserSessions' | 'expireSessions' | 'deleteEndedSessions'> &
  Pick<UserStore, 'updateUser' | 'deleteUser'>

/** Past this many change rows to read at once, clearing everything is the cheaper answer. */
const MAX_CHANGES_READ = 10_000

type Change = { seq: number; session_id: string | null; user_id: string | null }

/**
 * Keeps what `findSessionWithUser` read, because that lookup runs on every authenticated request.
 * Never stale: every write this store makes to a session or user drops the entries it touches,
 * and a write by any other connection to the file (another worker, a second gateway, the CLI, a
 * raw UPDATE) is seen through `PRAGMA data_version`, which changes exactly then. Only then is the
 * change log read (`session_changes`, written by triggers: see schema.ts), from the last seq this
 * cache saw, and exactly the sessions it names, and every session of the users it names, are
 * forgotten. When the log cannot vouch for everything since that seq (rows pruned, or too many to
 * read), everything is cleared: fail safe. The per-request cost stays one trivial statement and
 * a Map lookup, far cheaper than the join a hit saves.
 *
 * SQLite only: Postgres has no data_version; its cache is trusted under leases (store-postgres).
 */
export function withSessionLookupCache<T extends Ops>(ops: T, client: Database.Database, max = 100_000): T {
  const dataVersion = client.prepare('PRAGMA data_version').pluck()
  // AUTOINCREMENT's high-water mark: the last seq ever handed out, even when its row was pruned.
  const head = client.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'session_changes'").pluck()
  const changes = client.prepare<[number, number], Change>('SELECT seq, session_id, user_id FROM session_changes WHERE seq > ? AND seq <= ? ORDER BY seq')
  let version = dataVersion.get()
  let last = head.get() ?? 0
  const bySession = new Map<string, Found>()
  const byUser = new Map<string, Set<string>>()
  // Moves on every forget, so a lookup that read the database before one does not cache what it read.
  let forgets = 0

  const clear = () => {
    forgets++
    bySession.clear()
    byUser.clear()
  }
  const forgetSession = (id: string) => {
    forgets++
    const found = bySession.get(id)
    if (found === undefined) return
    bySession.delete(id)
    byUser.get(found.user.id)?.delete(id)
  }
  const forgetUser = (userId: string) => {
    forgets++
    for (const id of byUser.get(userId) ?? []) bySession.delete(id)
    byUser.delete(userId)
  }
  /**
   * Forgets what the change log names past `last`. data_version is read first: a write that
   * lands after it moves it again, so the next lookup reads again. Seqs are handed out without
   * gaps (a rolled-back insert gives its seq back), so (last, head] holds exactly head - last
   * rows unless some were pruned.
   */
  const catchUp = () => {
    version = dataVersion.get()
    const now = head.get() ?? 0
    if (now === last) return
    const rows = now > last && now - last <= MAX_CHANGES_READ ? changes.all(last, now) : []
    if (rows.length !== now - last) clear()
    else
      for (const row of rows) {
        if (row.session_id !== null) forgetSession(row.session_id)
        if (row.user_id !== null) forgetUser(row.user_id)
      }
    last = now
  }
  const copy = (f: Found): Found => ({ session: { ...f.session }, user: { ...f.user } })

  return {
    ...ops,
    // `data_version` makes every lookup current; `fresh` reads the row anyway, as the store's
    // contract says (it is rare: a caller about to refuse), which also notes the chain's row.
    async findSessionWithUser(id: string, options?: { fresh?: boolean }) {
      if (dataVersion.get() !== version) catchUp()
      if (options?.fresh === true) forgetSession(id)
      const hit = bySession.get(id)
      if (hit !== undefined) return copy(hit)
      const before = forgets
      const found = await ops.findSessionWithUser(id)
      if (found === null || forgets !== before) return found
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
      const deleted = await ops.deleteEndedSessions(olderThan)
      // Forgets the sessions just deleted (the log has them), and reads this store's own rows
      // too, which data_version never announces, before they age out of the log.
      catchUp()
      return deleted
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
