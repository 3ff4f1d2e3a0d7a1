import { randomBytes } from 'node:crypto'
import { Pool } from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { newSession, newUser, T0 } from '@gatehouse/store/conformance'
import { createQueryBatch } from '../src/query-batch.js'
import { createPostgresStore, type PostgresStore } from '../src/index.js'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const hash = () => randomBytes(32).toString('hex')

describe('createQueryBatch', () => {
  const batch = (many: (xs: number[]) => Promise<string[]>) => {
    const calls = { one: [] as number[], many: [] as number[][] }
    const run = createQueryBatch<number, string>({
      one: async (x) => {
        calls.one.push(x)
        if (x < 0) throw new Error(`negative ${x}`)
        return `one ${x}`
      },
      many: async (xs) => {
        calls.many.push(xs)
        return many(xs)
      },
    })
    return { run, calls }
  }

  it('calls made in one turn of the event loop go together; a call alone goes alone', async () => {
    const { run, calls } = batch(async (xs) => xs.map((x) => `many ${x}`))
    expect(await Promise.all([run(1), run(2), run(3)])).toEqual(['many 1', 'many 2', 'many 3'])
    expect(await run(4)).toBe('one 4')
    expect(calls).toEqual({ one: [4], many: [[1, 2, 3]] })
  })

  it('a batch that fails is run again one call at a time: each gets its own answer or its own error', async () => {
    const { run, calls } = batch(async () => {
      throw new Error('deadlock detected')
    })
    const settled = await Promise.allSettled([run(1), run(-2), run(3)])
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'one 1' },
      { status: 'rejected', reason: new Error('negative -2') },
      { status: 'fulfilled', value: 'one 3' },
    ])
    expect(calls.one).toEqual([1, -2, 3])
  })
})

const pg = await postgresForTests('store-postgres query batches')

describe.skipIf(pg.cluster === undefined)(`a cohort's lookups and renewals in one statement each${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const database = emptyDatabase(pg.cluster!, 'batch')
  let store: PostgresStore
  beforeEach(async () => {
    store = await createPostgresStore({ url: await database.reset(), migrate: false, sessionCache: false })
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await store.close()
  })
  afterAll(async () => {
    await database.close()
    await pg.cluster?.stop()
  })
  /** The named statements run while `work` runs. */
  async function statements<T>(work: () => Promise<T>): Promise<{ result: T; names: string[] }> {
    const names: string[] = []
    const real = Pool.prototype.query
    vi.spyOn(Pool.prototype, 'query').mockImplementation(function (this: Pool, ...args: unknown[]) {
      const config = args[0] as { name?: string } | string
      if (typeof config === 'object' && config?.name) names.push(config.name)
      return (real as (...a: unknown[]) => unknown).apply(this, args)
    } as typeof real)
    const result = await work()
    vi.restoreAllMocks()
    return { result, names }
  }

  it('twenty sessions looked up at once: one statement, each its own answer', async () => {
    const user = await store.createUser(newUser())
    const sessions = Array.from({ length: 20 }, () => newSession(user.id))
    for (const s of sessions) await store.createSession(s)
    const { result, names } = await statements(() => Promise.all([...sessions.map((s) => store.findSessionWithUser(s.id)), store.findSessionWithUser('missing')]))
    expect(names).toEqual(['gatehouse_find_sessions_with_users'])
    expect(result.slice(0, 20).map((f) => f?.session.id)).toEqual(sessions.map((s) => s.id))
    expect(result[20]).toBeNull()
  })

  it('twenty idle-deadline writes at once: one statement, each session its own deadline', async () => {
    const user = await store.createUser(newUser())
    const sessions = Array.from({ length: 20 }, () => newSession(user.id))
    for (const s of sessions) await store.createSession(s)
    const { names } = await statements(() => Promise.all(sessions.map((s, i) => store.touchSession(s.id, T0 + i, s.idleExpiresAt + i))))
    expect(names).toEqual(['gatehouse_touch_sessions'])
    for (const [i, s] of sessions.entries()) expect(await store.findSession(s.id)).toMatchObject({ lastSeenAt: T0 + i, idleExpiresAt: s.idleExpiresAt + i })
  })

  it('twenty renewals at once: one statement; the loser of two renewals of one token is classified on its own', async () => {
    const user = await store.createUser(newUser())
    const sessions = Array.from({ length: 20 }, () => newSession(user.id))
    const first = new Map<string, string>()
    for (const s of sessions) {
      await store.createSession(s)
      first.set(s.id, hash())
      await store.startRefreshChain({ sessionId: s.id, tokenHash: first.get(s.id)!, now: T0 })
    }
    const [a] = sessions
    const { result, names } = await statements(() =>
      Promise.all([
        ...sessions.map((s) => store.renewRefreshToken({ sessionId: s.id, presentedHash: first.get(s.id)!, successorHash: `next-${s.id}`, now: T0 + 1 })),
        // The same token and successor again (one session's tokens for two upstreams).
        store.renewRefreshToken({ sessionId: a!.id, presentedHash: first.get(a!.id)!, successorHash: `next-${a!.id}`, now: T0 + 1 }),
      ]),
    )
    expect(names[0]).toBe('gatehouse_renew_refresh_tokens')
    expect(names).not.toContain('gatehouse_renew_refresh_token')
    sessions.forEach((s, i) => expect(result[i]).toMatchObject({ outcome: 'renewed', successor: { generation: 1, tokenHash: `next-${s.id}` } }))
    expect(result[20]).toMatchObject({ outcome: 'consumed', token: { tokenHash: first.get(a!.id), replacedBy: `next-${a!.id}` } })
  })
})
