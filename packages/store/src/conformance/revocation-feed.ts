import { expect, it } from 'vitest'
import type { Store } from '../store.js'
import { newSession, newUser, T0 } from './fixtures.js'

const ALL = { after: 0, endedSince: 0, limit: 1000 }

export function revocationFeedConformance(store: () => Store): void {
  it('starts empty, with head 0', async () => {
    expect(await store().listRevocations(ALL)).toEqual({ entries: [], head: 0 })
  })

  it('records every way a session ends, once, in order, with when no token was minted after', async () => {
    const s = store()
    const u = await s.createUser(newUser())
    const other = await s.createUser(newUser())
    const [a, b, c, d] = [newSession(u.id), newSession(u.id), newSession(u.id), newSession(other.id, { idleExpiresAt: T0 + 10 })]
    for (const x of [a, b, c, d]) await s.createSession(x)
    await s.touchSession(a.id, T0 + 1, T0 + 60_000) // activity and rotation are not endings
    await s.revokeSession(a.id, 'logout', T0 + 100)
    await s.revokeSession(a.id, 'admin_revoked', T0 + 200) // already ended: no second entry
    expect((await s.revokeUserSessions(u.id, 'password_changed', T0 + 300, { exceptSessionId: c.id })).sort()).toEqual([b.id])
    expect((await s.expireSessions(T0 + 400)).map((x) => x.id)).toEqual([d.id])
    await s.revokeUserSessions(u.id, 'suspended', T0 + 500)
    const { entries, head } = await s.listRevocations(ALL)
    expect(entries.map((e) => [e.sessionId, e.endedAt])).toEqual([
      [a.id, T0 + 100],
      [b.id, T0 + 300],
      // Expired by idle timeout at T0 + 10, found at T0 + 400: tokens stopped at T0 + 10.
      [d.id, T0 + 10],
      [c.id, T0 + 500],
    ])
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((x, y) => x - y))
    expect(head).toBe(entries.at(-1)!.seq)
  })

  it('resumes after a cursor, pages by limit, and filters entries that no longer matter', async () => {
    const s = store()
    const u = await s.createUser(newUser())
    const sessions = Array.from({ length: 5 }, () => newSession(u.id))
    for (const [i, x] of sessions.entries()) {
      await s.createSession(x)
      await s.revokeSession(x.id, 'logout', T0 + i * 1000)
    }
    const all = await s.listRevocations(ALL)
    const seqs = all.entries.map((e) => e.seq)
    const page = await s.listRevocations({ after: seqs[1]!, endedSince: 0, limit: 2 })
    expect(page.entries.map((e) => e.sessionId)).toEqual([sessions[2]!.id, sessions[3]!.id])
    expect(page.head).toBe(seqs[4])
    const recent = await s.listRevocations({ after: 0, endedSince: T0 + 3000, limit: 10 })
    expect(recent.entries.map((e) => e.sessionId)).toEqual([sessions[3]!.id, sessions[4]!.id])
    expect(recent.head).toBe(seqs[4])
    expect(await s.listRevocations({ after: seqs[4]!, endedSince: 0, limit: 10 })).toEqual({ entries: [], head: seqs[4] })
  })

  it('keeps entries when the session and its user are deleted; prunes by end time; never reuses a seq', async () => {
    const s = store()
    const u = await s.createUser(newUser())
    const [a, b] = [newSession(u.id), newSession(u.id)]
    await s.createSession(a)
    await s.createSession(b)
    await s.revokeSession(a.id, 'logout', T0)
    await s.revokeSession(b.id, 'user_deleted', T0 + 5000)
    await s.deleteEndedSessions(T0 + 10_000)
    await s.deleteUser(u.id)
    expect((await s.listRevocations(ALL)).entries.map((e) => e.sessionId)).toEqual([a.id, b.id])
    expect(await s.deleteRevocations(T0 + 5000)).toBe(1)
    const left = await s.listRevocations(ALL)
    expect(left.entries.map((e) => e.sessionId)).toEqual([b.id])
    expect(await s.deleteRevocations(T0 + 5001)).toBe(1)
    const head = left.head
    const v = await s.createUser(newUser())
    const c = newSession(v.id)
    await s.createSession(c)
    await s.revokeSession(c.id, 'logout', T0 + 6000)
    const after = await s.listRevocations(ALL)
    expect(after.entries).toEqual([{ seq: expect.any(Number), sessionId: c.id, endedAt: T0 + 6000 }])
    expect(after.entries[0]!.seq).toBeGreaterThan(head)
  })
}
