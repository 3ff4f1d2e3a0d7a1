import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { newSession, newUser, T0 } from '@gatehouse/store/conformance'
import { createSqliteStore, type SqliteStore } from '../src/index.js'

const hash = () => randomBytes(32).toString('hex')

describe('renewals that arrive together, in one shared transaction', () => {
  const open: SqliteStore[] = []
  afterEach(() => {
    for (const s of open.splice(0)) s.close()
  })
  async function cohort(n: number) {
    const path = join(mkdtempSync(join(tmpdir(), 'gh-group-')), 'g.db')
    const store = createSqliteStore({ path })
    open.push(store)
    const user = await store.createUser(newUser())
    const chains: Array<{ sessionId: string; first: string }> = []
    for (let i = 0; i < n; i++) {
      const session = newSession(user.id)
      await store.createSession(session)
      const first = hash()
      await store.startRefreshChain({ sessionId: session.id, tokenHash: first, now: T0 })
      chains.push({ sessionId: session.id, first })
    }
    return { store, chains, path }
  }

  it('one renewal that fails inside the shared transaction takes nothing of the others with it', async () => {
    const { store, chains, path } = await cohort(6)
    const [bad] = chains
    // A stray consumed row already holds the first session's generation 1 (written behind the
    // store's back): its successor's insert breaks the primary key, after its compare-and-set
    // already consumed its token.
    const other = new Database(path)
    other.prepare('insert into refresh_tokens (token_hash, session_id, generation, created_at, consumed_at) values (?, ?, 1, ?, ?)').run(hash(), bad!.sessionId, T0, T0)
    other.close()
    const results = await Promise.allSettled(
      chains.map((c, i) => store.renewRefreshToken({ sessionId: c.sessionId, presentedHash: c.first, successorHash: `next-${i}`, now: T0 + 1 })),
    )
    expect(results[0]!.status).toBe('rejected')
    for (const r of results.slice(1)) expect(r).toMatchObject({ status: 'fulfilled', value: { outcome: 'renewed' } })
    // Its compare-and-set was undone with it: its token is still current, unconsumed.
    expect(await store.findCurrentRefreshToken(bad!.sessionId)).toMatchObject({ tokenHash: bad!.first, generation: 0, consumedAt: null })
    for (const [i, c] of chains.slice(1).entries()) {
      expect(await store.findCurrentRefreshToken(c.sessionId)).toMatchObject({ tokenHash: `next-${i + 1}`, generation: 1 })
    }
  })

  it('a batch that cannot get the write lock fails whole, and writes nothing', async () => {
    const { store, chains, path } = await cohort(4)
    // Another process holds the write lock past busy_timeout (5 s): here, for as long as the test.
    const other = new Database(path)
    other.pragma('busy_timeout = 0')
    other.exec('BEGIN IMMEDIATE')
    try {
      const results = await Promise.allSettled(chains.map((c, i) => store.renewRefreshToken({ sessionId: c.sessionId, presentedHash: c.first, successorHash: `next-${i}`, now: T0 + 1 })))
      expect(results.every((r) => r.status === 'rejected')).toBe(true)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    for (const c of chains) expect(await store.findCurrentRefreshToken(c.sessionId)).toMatchObject({ tokenHash: c.first, consumedAt: null })
  }, 20_000)
})
