import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Session, User } from '@gatehouse/store'
import { newSession, newUser, stateOf, T0 } from '@gatehouse/store/conformance'
import { createSqliteStore, migrateSqlite, openSqlite, type SqliteStore } from '../src/index.js'
import { withSessionLookupCache } from '../src/session-lookup-cache.js'
import { createSessionOps } from '../src/sessions.js'
import { createUserOps } from '../src/users.js'

/**
 * A: the lookup cache over the real SQLite ops on its own connection, with the one spy these
 * tests need: how many lookups reached the database. B: a whole second store on the same file
 * (another worker, the CLI).
 */
function openPair() {
  const path = join(mkdtempSync(join(tmpdir(), 'gh-changes-')), 'c.db')
  const { db, client } = openSqlite(path)
  migrateSqlite(db)
  const raw = { ...createUserOps(db), ...createSessionOps(db) }
  const reads: { count: number; afterRead?: Promise<void> } = { count: 0 }
  const a = withSessionLookupCache(
    {
      ...raw,
      async findSessionWithUser(id: string) {
        reads.count++
        const hold = reads.afterRead
        const found = await raw.findSessionWithUser(id)
        await hold
        return found
      },
    },
    client,
  )
  const b = createSqliteStore({ path, migrate: false })
  opened.push(() => client.close(), () => void b.close())
  return { path, a, b, reads, client }
}

const opened: (() => void)[] = []
afterEach(() => {
  for (const close of opened.splice(0)) close()
})

async function seed(b: SqliteStore): Promise<{ user: User; mine: Session; sibling: Session; other: Session }> {
  const user = await b.createUser(newUser())
  const stranger = await b.createUser(newUser())
  const [mine, sibling, other] = [newSession(user.id), newSession(user.id), newSession(stranger.id)]
  for (const s of [mine, sibling, other]) await b.createSession(s)
  return { user, mine, sibling, other }
}

type Write = (b: SqliteStore, s: { user: User; mine: Session }) => Promise<unknown>
const sessionWrites: [string, Write, (found: Awaited<ReturnType<SqliteStore['findSessionWithUser']>>) => void][] = [
  ['touch', (b, { mine }) => b.touchSession(mine.id, T0 + 5_000, T0 + 999_000), (f) => expect(f?.session.lastSeenAt).toBe(T0 + 5_000)],
  [
    'rotation',
    (b, { mine }) => b.rotateSessionCredential(mine.id, { expectedHash: mine.credentialHash, newHash: 'rotated-hash', now: T0 + 5_000, previousCredentials: [] }),
    (f) => expect(f?.session.credentialHash).toBe('rotated-hash'),
  ],
  ['revocation', (b, { mine }) => b.revokeSession(mine.id, 'admin_revoked', T0 + 5_000), (f) => expect(f?.session.revokedReason).toBe('admin_revoked')],
  ['fingerprint', (b, { mine }) => b.setSessionFingerprint(mine.id, { uaFamilyHash: 'ua', networkHash: 'net' }), (f) => expect(f?.session.networkHash).toBe('net')],
  [
    'deletion',
    async (b, { mine }) => {
      await b.revokeSession(mine.id, 'logout', T0 + 5_000)
      expect(await b.deleteEndedSessions(T0 + 6_000)).toBe(1)
    },
    (f) => expect(f).toBeNull(),
  ],
]
const userWrites: [string, Write, (found: Awaited<ReturnType<SqliteStore['findSessionWithUser']>>) => void][] = [
  ['role change', (b, { user }) => b.updateUser(user.id, { roles: ['admin'] }, T0 + 5_000), (f) => expect(f?.user.roles).toEqual(['admin'])],
  ['suspension', (b, { user }) => b.updateUser(user.id, { suspendedAt: T0 + 5_000 }, T0 + 5_000), (f) => expect(f?.user.suspendedAt).toBe(T0 + 5_000)],
  ['password change', (b, { user }) => b.updateUser(user.id, { passwordHash: 'new' }, T0 + 5_000), (f) => expect(f?.user.passwordChangedAt).toBe(T0 + 5_000)],
  ['user deletion', (b, { user }) => b.deleteUser(user.id), (f) => expect(f).toBeNull()],
]

describe('on SQLite, a write by another connection forgets only what it changed', () => {
  it.each(sessionWrites)('a %s through another connection is seen at once; every other cached session stays cached', async (_, write, check) => {
    const { a, b, reads } = openPair()
    const s = await seed(b)
    for (const x of [s.mine, s.sibling, s.other]) await a.findSessionWithUser(x.id)
    expect(reads.count).toBe(3)

    await write(b, s)
    check(await a.findSessionWithUser(s.mine.id))
    expect(reads.count).toBe(4)
    expect((await a.findSessionWithUser(s.sibling.id))?.session).toEqual(stateOf(s.sibling))
    expect((await a.findSessionWithUser(s.other.id))?.session).toEqual(stateOf(s.other))
    expect(reads.count).toBe(4)
  })

  it.each(userWrites)('a %s through another connection is seen on every session of that user; other users stay cached', async (_, write, check) => {
    const { a, b, reads } = openPair()
    const s = await seed(b)
    for (const x of [s.mine, s.sibling, s.other]) await a.findSessionWithUser(x.id)

    await write(b, s)
    check(await a.findSessionWithUser(s.mine.id))
    check(await a.findSessionWithUser(s.sibling.id))
    expect(reads.count).toBe(5)
    expect((await a.findSessionWithUser(s.other.id))?.session).toEqual(stateOf(s.other))
    expect(reads.count).toBe(5)
  })

  it('a raw UPDATE through a plain third connection is seen by the next lookup', async () => {
    const { a, b, path, reads } = openPair()
    const s = await seed(b)
    for (const x of [s.mine, s.other]) await a.findSessionWithUser(x.id)
    const plain = new Database(path)
    plain.prepare("UPDATE sessions SET revoked_at = ?, revoked_reason = 'admin_revoked' WHERE id = ?").run(T0 + 1, s.mine.id)
    plain.close()
    expect((await a.findSessionWithUser(s.mine.id))?.session.revokedAt).toBe(T0 + 1)
    expect((await a.findSessionWithUser(s.other.id))?.session.revokedAt).toBeNull()
    expect(reads.count).toBe(3)
  })

  it('writes that touch no session or user (audit, rate limits) forget nothing', async () => {
    const { a, b, reads } = openPair()
    const s = await seed(b)
    await a.findSessionWithUser(s.mine.id)
    await b.deleteStaleRateLimits(T0)
    await b.createUser(newUser())
    expect((await a.findSessionWithUser(s.mine.id))?.session).toEqual(stateOf(s.mine))
    expect(reads.count).toBe(1)
  })

  it('when change rows past its last seq were pruned, it clears everything and still answers right', async () => {
    const { a, b, client, reads } = openPair()
    const s = await seed(b)
    for (const x of [s.mine, s.other]) await a.findSessionWithUser(x.id)
    await b.revokeSession(s.mine.id, 'admin_revoked', T0 + 1)
    await b.touchSession(s.sibling.id, T0 + 2, T0 + 999_000)
    // Age the first of those rows past the log's retention; the prune takes it (and only it).
    const plain = new Database(client.name)
    const first = plain.prepare('SELECT min(seq) FROM session_changes').pluck().get() as number
    plain.prepare('UPDATE session_changes SET changed_at = changed_at - 3600000 WHERE seq = ?').run(first)
    await b.deleteEndedSessions(0)
    expect(plain.prepare('SELECT count(*) FROM session_changes').pluck().get()).toBe(1)
    plain.close()

    expect((await a.findSessionWithUser(s.mine.id))?.session.revokedReason).toBe('admin_revoked')
    expect((await a.findSessionWithUser(s.other.id))?.session).toEqual(stateOf(s.other))
    expect(reads.count).toBe(4) // both read again: the cache could not tell what it missed
    expect((await a.findSessionWithUser(s.other.id))?.session).toEqual(stateOf(s.other))
    expect(reads.count).toBe(4) // and caching again from there
  })

  it("the prune keeps the change log bounded to the last minutes, by the database's clock", async () => {
    const { b, path } = openPair()
    const s = await seed(b)
    for (let i = 0; i < 5; i++) await b.touchSession(s.mine.id, T0 + i, T0 + 999_000)
    const plain = new Database(path)
    plain.prepare('UPDATE session_changes SET changed_at = changed_at - 11 * 60000 WHERE seq <= 3').run()
    await b.deleteEndedSessions(0)
    expect(plain.prepare('SELECT seq FROM session_changes ORDER BY seq').pluck().all()).toEqual([4, 5])
    plain.close()
  })

  it("its own writes' rows are read at the prune, so an idle neighbour does not make it clear everything", async () => {
    const { a, b, client, reads } = openPair()
    const s = await seed(b)
    await a.findSessionWithUser(s.other.id)
    await a.touchSession(s.mine.id, T0 + 1, T0 + 999_000) // its own write: data_version stays
    await a.deleteEndedSessions(0) // the gateway's periodic prune
    // The own row ages out of the log; a neighbour then writes something unrelated.
    client.prepare('UPDATE session_changes SET changed_at = changed_at - 3600000').run()
    await b.deleteEndedSessions(0)
    await b.touchSession(s.sibling.id, T0 + 2, T0 + 999_000)
    expect((await a.findSessionWithUser(s.other.id))?.session).toEqual(stateOf(s.other))
    expect(reads.count).toBe(1)
  })

  it('a lookup that read the database before a change was caught up does not cache what it read', async () => {
    const { a, b, reads } = openPair()
    const s = await seed(b)
    await a.findSessionWithUser(s.other.id)
    // Hold the first lookup between its read and its return, as an async layer under the cache can.
    let release!: () => void
    reads.afterRead = new Promise<void>((resolve) => (release = resolve))
    const first = a.findSessionWithUser(s.mine.id) // misses and reads the live row now
    delete reads.afterRead
    await b.revokeSession(s.mine.id, 'admin_revoked', T0 + 1)
    await a.findSessionWithUser(s.other.id) // catches up while the first lookup is in flight
    release()
    expect((await first)?.session.revokedAt).toBeNull() // it read before the revocation
    expect((await a.findSessionWithUser(s.mine.id))?.session.revokedReason).toBe('admin_revoked')
    expect(reads.count).toBe(3)
  })

  it('1,000 back-to-back revocations through another connection: zero stale reads, the rest stays cached', async () => {
    const { a, b, reads } = openPair()
    const user = await b.createUser(newUser())
    const all = Array.from({ length: 1_000 }, () => newSession(user.id))
    for (const s of all) await b.createSession(s)
    for (const s of all) await a.findSessionWithUser(s.id)
    let stale = 0
    for (const [i, s] of all.entries()) {
      await b.revokeSession(s.id, 'admin_revoked', T0 + i)
      if ((await a.findSessionWithUser(s.id))?.session.revokedAt !== T0 + i) stale++
      const next = all[i + 1]
      if (next !== undefined && (await a.findSessionWithUser(next.id))?.session.revokedAt !== null) stale++
    }
    expect(stale).toBe(0)
    expect(reads.count).toBe(2_000) // each session read once to cache it, once more after its revocation
  })

  it('revocations by a writer running concurrently in another thread: each is seen as soon as it is acknowledged', async () => {
    const { a, b, path } = openPair()
    const user = await b.createUser(newUser())
    const all = Array.from({ length: 1_000 }, () => newSession(user.id))
    for (const s of all) await b.createSession(s)
    for (const s of all) await a.findSessionWithUser(s.id)
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    const writer = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads')
       const db = new (require(workerData.driver))(workerData.path)
       db.pragma('busy_timeout = 5000')
       const revoke = db.prepare("UPDATE sessions SET revoked_at = ?, revoked_reason = 'admin_revoked' WHERE id = ?")
       workerData.ids.forEach((id, i) => { revoke.run(i + 1, id); parentPort.postMessage(i) })
       db.close()`,
      { eval: true, workerData: { driver, path, ids: all.map((s) => s.id) } },
    )
    let stale = 0
    let seen = 0
    await new Promise<void>((resolve, reject) => {
      writer.on('error', reject)
      writer.on('message', (i: number) => {
        void a.findSessionWithUser(all[i]!.id).then((found) => {
          if (found?.session.revokedAt !== i + 1) stale++
          if (++seen === all.length) resolve()
        }, reject)
      })
    })
    await writer.terminate()
    expect(stale).toBe(0)
  })
})
