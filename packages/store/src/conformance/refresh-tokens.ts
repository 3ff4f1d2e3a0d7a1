import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { Store } from '../store.js'
import type { RefreshTokenRenewalResult } from '../types.js'
import { newSession, newUser, T0 } from './fixtures.js'

const hash = () => randomBytes(32).toString('hex')

async function liveSession(s: Store, overrides: Parameters<typeof newSession>[1] = {}) {
  const user = await s.createUser(newUser())
  const session = newSession(user.id, overrides)
  await s.createSession(session)
  return session
}

export function refreshTokenConformance(store: () => Store): void {
  it('starts a live session’s chain once, with generation 0', async () => {
    const s = store()
    const session = await liveSession(s)
    const h0 = hash()
    expect(await s.startRefreshChain({ sessionId: session.id, tokenHash: h0, now: T0 })).toBe(true)
    expect(await s.startRefreshChain({ sessionId: session.id, tokenHash: hash(), now: T0 })).toBe(false)
    expect(await s.findCurrentRefreshToken(session.id)).toEqual({
      tokenHash: h0,
      sessionId: session.id,
      generation: 0,
      createdAt: T0,
      consumedAt: null,
      replacedBy: null,
    })
    expect(await s.findCurrentRefreshToken('no-such-session')).toBeNull()
  })

  it('starts no chain for a revoked, expired or unknown session', async () => {
    const s = store()
    const revoked = await liveSession(s)
    const expired = await liveSession(s, { idleExpiresAt: T0 + 10 })
    await s.revokeSession(revoked.id, 'logout', T0)
    expect(await s.startRefreshChain({ sessionId: revoked.id, tokenHash: hash(), now: T0 + 1 })).toBe(false)
    expect(await s.startRefreshChain({ sessionId: expired.id, tokenHash: hash(), now: T0 + 10 })).toBe(false)
    expect(await s.startRefreshChain({ sessionId: 'unknown', tokenHash: hash(), now: T0 })).toBe(false)
    expect(await s.findCurrentRefreshToken(revoked.id)).toBeNull()
  })

  it('of many concurrent chain starts exactly one inserts', async () => {
    const s = store()
    const session = await liveSession(s)
    const results = await Promise.all(Array.from({ length: 20 }, () => s.startRefreshChain({ sessionId: session.id, tokenHash: hash(), now: T0 })))
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('starts a chain already renewed, once: generation 0 consumed by generation 1', async () => {
    const s = store()
    const session = await liveSession(s)
    const [h0, h1] = [hash(), hash()]
    const successor = { tokenHash: h1, sessionId: session.id, generation: 1, createdAt: T0, consumedAt: null, replacedBy: null }
    expect(await s.startRenewedRefreshChain({ sessionId: session.id, firstHash: h0, successorHash: h1, now: T0 })).toEqual({ started: true, successor })
    expect(await s.findCurrentRefreshToken(session.id)).toEqual(successor)
    // Again (another process's first renewal): nothing stored, the current row answered.
    expect(await s.startRenewedRefreshChain({ sessionId: session.id, firstHash: hash(), successorHash: hash(), now: T0 + 1 })).toEqual({
      started: false,
      current: successor,
    })
    // Generation 0 is a consumed token with its successor, like any renewal's.
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: hash(), now: T0 + 2 })).toEqual({
      outcome: 'consumed',
      token: { tokenHash: h0, sessionId: session.id, generation: 0, createdAt: T0, consumedAt: T0, replacedBy: h1 },
    })
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h1, successorHash: hash(), now: T0 + 3 })).toMatchObject({
      outcome: 'renewed',
      successor: { generation: 2 },
    })
  })

  it('starts no renewed chain for a revoked, expired or unknown session; an ended session’s chain is only answered', async () => {
    const s = store()
    const revoked = await liveSession(s)
    const expired = await liveSession(s, { idleExpiresAt: T0 + 10 })
    const ended = await liveSession(s)
    const h = hash()
    await s.startRenewedRefreshChain({ sessionId: ended.id, firstHash: hash(), successorHash: h, now: T0 })
    await s.revokeSession(revoked.id, 'logout', T0)
    await s.revokeSession(ended.id, 'logout', T0)
    const start = (sessionId: string, now: number) => s.startRenewedRefreshChain({ sessionId, firstHash: hash(), successorHash: hash(), now })
    expect(await start(revoked.id, T0 + 1)).toEqual({ started: false, current: null })
    expect(await start(expired.id, T0 + 10)).toEqual({ started: false, current: null })
    expect(await start('unknown', T0)).toEqual({ started: false, current: null })
    expect(await s.findCurrentRefreshToken(revoked.id)).toBeNull()
    expect(await s.findCurrentRefreshToken(expired.id)).toBeNull()
    // The renewal of that row is what refuses it.
    expect(await start(ended.id, T0 + 1)).toMatchObject({ started: false, current: { tokenHash: h, generation: 1 } })
    expect(await s.renewRefreshToken({ sessionId: ended.id, presentedHash: h, successorHash: hash(), now: T0 + 2 })).toEqual({ outcome: 'session_ended' })
  })

  it('of many concurrent renewed starts exactly one starts the chain; the others answer its row', async () => {
    const s = store()
    const session = await liveSession(s)
    const [h0, h1] = [hash(), hash()]
    const results = await Promise.all(
      Array.from({ length: 20 }, () => s.startRenewedRefreshChain({ sessionId: session.id, firstHash: h0, successorHash: h1, now: T0 })),
    )
    const successor = { tokenHash: h1, sessionId: session.id, generation: 1, createdAt: T0, consumedAt: null, replacedBy: null }
    expect(results.filter((r) => r.started)).toEqual([{ started: true, successor }])
    for (const r of results) if (!r.started) expect(r).toEqual({ started: false, current: successor })
  })

  it('a session lookup notes the chain\'s current row: the first renewed start after it answers that row once, as recent', async () => {
    const s = store()
    const session = await liveSession(s)
    const start = () => s.startRenewedRefreshChain({ sessionId: session.id, firstHash: hash(), successorHash: hash(), now: T0 })
    // No chain when looked up: nothing believed, the chain is started.
    await s.findSessionWithUser(session.id)
    const started = await start()
    expect(started).toMatchObject({ started: true, successor: { generation: 1 } })
    const current = started.started ? started.successor : undefined
    // (A cached session is not read again: `fresh`, as a lookup that misses the cache.)
    await s.findSessionWithUser(session.id, { fresh: true })
    expect(await start()).toEqual({ started: false, current, recent: true })
    expect(await start()).toEqual({ started: false, current })
    // A hint the chain moved past is only a belief: renewing it fails without harm, as a stale one.
    await s.findSessionWithUser(session.id, { fresh: true })
    const renewed = await s.renewRefreshToken({ sessionId: session.id, presentedHash: current!.tokenHash, successorHash: hash(), now: T0 + 1 })
    expect(renewed.outcome).toBe('renewed')
    const stale = await start()
    expect(stale).toEqual({ started: false, current, recent: true })
    expect((await s.renewRefreshToken({ sessionId: session.id, presentedHash: current!.tokenHash, successorHash: hash(), now: T0 + 2 })).outcome).toBe('consumed')
  })

  it('renewal consumes the presented token and stores its successor', async () => {
    const s = store()
    const session = await liveSession(s)
    const [h0, h1] = [hash(), hash()]
    await s.startRefreshChain({ sessionId: session.id, tokenHash: h0, now: T0 })
    const renewed = await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: h1, now: T0 + 5 })
    const successor = { tokenHash: h1, sessionId: session.id, generation: 1, createdAt: T0 + 5, consumedAt: null, replacedBy: null }
    expect(renewed).toEqual({ outcome: 'renewed', successor })
    expect(await s.findCurrentRefreshToken(session.id)).toEqual(successor)
    // Presented again: recognised as consumed, with when and by what.
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: hash(), now: T0 + 9 })).toEqual({
      outcome: 'consumed',
      token: { tokenHash: h0, sessionId: session.id, generation: 0, createdAt: T0, consumedAt: T0 + 5, replacedBy: h1 },
    })
    expect(await s.findCurrentRefreshToken(session.id)).toEqual(successor)
  })

  it('of N concurrent renewals of one token exactly one consumes it', async () => {
    const s = store()
    const session = await liveSession(s)
    const h0 = hash()
    await s.startRefreshChain({ sessionId: session.id, tokenHash: h0, now: T0 })
    const successors = Array.from({ length: 50 }, hash)
    const results: RefreshTokenRenewalResult[] = await Promise.all(
      successors.map((successorHash) => s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash, now: T0 + 1 })),
    )
    const winners = results.filter((r) => r.outcome === 'renewed')
    expect(winners).toHaveLength(1)
    const winner = winners[0]!.outcome === 'renewed' ? winners[0]!.successor : undefined
    for (const r of results) {
      if (r.outcome !== 'renewed') expect(r).toMatchObject({ outcome: 'consumed', token: { tokenHash: h0, replacedBy: winner?.tokenHash } })
    }
    expect(await s.findCurrentRefreshToken(session.id)).toEqual(winner)
  })

  it('renewals of many sessions arriving at once each get their own answer, as they would alone', async () => {
    // A cohort of sessions renewing together (the stores may run them as one statement or one
    // transaction): live chains renew, with and without pruning; an ended session, an unknown
    // token and a consumed one are refused exactly as a renewal alone is; nothing leaks across.
    const s = store()
    const live = await Promise.all(Array.from({ length: 12 }, () => liveSession(s)))
    const ended = await liveSession(s)
    const chains = new Map<string, string[]>()
    for (const session of [...live, ended]) {
      const hashes = [hash(), hash(), hash(), hash()]
      chains.set(session.id, hashes)
      await s.startRefreshChain({ sessionId: session.id, tokenHash: hashes[0]!, now: T0 })
      // Generation 0 consumed by 1, 1 by 2: two consumed rows before the cohort renews 2 -> 3.
      await s.renewRefreshToken({ sessionId: session.id, presentedHash: hashes[0]!, successorHash: hashes[1]!, now: T0 })
      await s.renewRefreshToken({ sessionId: session.id, presentedHash: hashes[1]!, successorHash: hashes[2]!, now: T0 + 1 })
    }
    await s.revokeSession(ended.id, 'logout', T0 + 2)
    const now = T0 + 10
    // Every other live session prunes down to its last consumed row (keepLast 1, nothing in the window).
    const prune = { keepLast: 1, consumedBefore: now, keepAtMost: 1 }
    const [consumedOne, unknownOne] = [live[10]!, live[11]!]
    const results = await Promise.all([
      ...live.slice(0, 10).map((session, i) => {
        const h = chains.get(session.id)!
        return s.renewRefreshToken({ sessionId: session.id, presentedHash: h[2]!, successorHash: h[3]!, now, ...(i % 2 === 0 ? { prune } : {}) })
      }),
      s.renewRefreshToken({ sessionId: ended.id, presentedHash: chains.get(ended.id)![2]!, successorHash: hash(), now }),
      s.renewRefreshToken({ sessionId: consumedOne.id, presentedHash: chains.get(consumedOne.id)![1]!, successorHash: hash(), now }),
      s.renewRefreshToken({ sessionId: unknownOne.id, presentedHash: hash(), successorHash: hash(), now }),
      // Another session's current token presented for this one: unknown here.
      s.renewRefreshToken({ sessionId: unknownOne.id, presentedHash: chains.get(ended.id)![2]!, successorHash: hash(), now }),
    ])
    live.slice(0, 10).forEach((session, i) => {
      const successor = { tokenHash: chains.get(session.id)![3], sessionId: session.id, generation: 3, createdAt: now, consumedAt: null, replacedBy: null }
      expect(results[i]).toEqual({ outcome: 'renewed', successor })
    })
    expect(results.slice(10)).toEqual([
      { outcome: 'session_ended' },
      { outcome: 'consumed', token: { tokenHash: chains.get(consumedOne.id)![1], sessionId: consumedOne.id, generation: 1, createdAt: T0, consumedAt: T0 + 1, replacedBy: chains.get(consumedOne.id)![2] } },
      { outcome: 'unknown' },
      { outcome: 'unknown' },
    ])
    for (const [i, session] of live.slice(0, 10).entries()) {
      expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ generation: 3, tokenHash: chains.get(session.id)![3] })
      // Generation 0 is gone where the renewal pruned (kept: only 2, the last consumed), kept where it did not.
      const first = await s.renewRefreshToken({ sessionId: session.id, presentedHash: chains.get(session.id)![0]!, successorHash: hash(), now: now + 1 })
      expect(first.outcome).toBe(i % 2 === 0 ? 'unknown' : 'consumed')
    }
    for (const session of [ended, consumedOne, unknownOne]) {
      expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ generation: 2, tokenHash: chains.get(session.id)![2], consumedAt: null })
    }
  })

  it('refuses an ended session and an unknown or foreign token, changing nothing', async () => {
    const s = store()
    const a = await liveSession(s)
    const b = await liveSession(s)
    const [ha, hb] = [hash(), hash()]
    await s.startRefreshChain({ sessionId: a.id, tokenHash: ha, now: T0 })
    await s.startRefreshChain({ sessionId: b.id, tokenHash: hb, now: T0 })
    expect(await s.renewRefreshToken({ sessionId: a.id, presentedHash: hash(), successorHash: hash(), now: T0 })).toEqual({ outcome: 'unknown' })
    expect(await s.renewRefreshToken({ sessionId: a.id, presentedHash: hb, successorHash: hash(), now: T0 })).toEqual({ outcome: 'unknown' })
    await s.revokeSession(a.id, 'logout', T0 + 1)
    expect(await s.renewRefreshToken({ sessionId: a.id, presentedHash: ha, successorHash: hash(), now: T0 + 2 })).toEqual({ outcome: 'session_ended' })
    expect(await s.findCurrentRefreshToken(a.id)).toMatchObject({ tokenHash: ha, consumedAt: null })
    // Expiry counts as ended too, without anyone having revoked it.
    expect(await s.renewRefreshToken({ sessionId: b.id, presentedHash: hb, successorHash: hash(), now: b.idleExpiresAt })).toEqual({ outcome: 'session_ended' })
  })

  it('deletes tokens consumed before a time, and a deleted session’s tokens with it', async () => {
    const s = store()
    const session = await liveSession(s)
    const [h0, h1, h2] = [hash(), hash(), hash()]
    await s.startRefreshChain({ sessionId: session.id, tokenHash: h0, now: T0 })
    await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: h1, now: T0 + 10 })
    await s.renewRefreshToken({ sessionId: session.id, presentedHash: h1, successorHash: h2, now: T0 + 20 })
    expect(await s.deleteConsumedRefreshTokens(T0 + 15)).toBe(1)
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: hash(), now: T0 + 30 })).toEqual({ outcome: 'unknown' })
    expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ tokenHash: h2, generation: 2 })
    await s.deleteUser(session.userId)
    expect(await s.findCurrentRefreshToken(session.id)).toBeNull()
  })

  it('a renewal with prune keeps the last consumed rows, those within the race window up to a cap, and deletes the rest', async () => {
    const s = store()
    const session = await liveSession(s)
    const other = await liveSession(s)
    const hashes = Array.from({ length: 12 }, hash)
    const theirs = [hash(), hash()]
    await s.startRefreshChain({ sessionId: session.id, tokenHash: hashes[0]!, now: T0 })
    await s.startRefreshChain({ sessionId: other.id, tokenHash: theirs[0]!, now: T0 })
    await s.renewRefreshToken({ sessionId: other.id, presentedHash: theirs[0]!, successorHash: theirs[1]!, now: T0 })
    // Generations 0..5 consumed at T0+0..5 without pruning: 6 consumed rows and the current one.
    for (let g = 0; g < 6; g++) {
      await s.renewRefreshToken({ sessionId: session.id, presentedHash: hashes[g]!, successorHash: hashes[g + 1]!, now: T0 + g })
    }
    // The consumed rows left, probed by presenting every token but the current one (`upTo`).
    const rows = async (upTo: number) => {
      const found: number[] = []
      for (const h of hashes.slice(0, upTo)) {
        const r = await s.renewRefreshToken({ sessionId: session.id, presentedHash: h, successorHash: hash(), now: T0 + 1000 })
        if (r.outcome === 'consumed') found.push(r.token.generation)
      }
      return found
    }
    // Renewing 6 -> 7 at T0+10: keep the last 2 consumed (5, 6) and those consumed at or after T0+3
    // (3, 4); the cap of 5 consumed rows is not reached. 0, 1, 2 go.
    const renewed = await s.renewRefreshToken({
      sessionId: session.id,
      presentedHash: hashes[6]!,
      successorHash: hashes[7]!,
      now: T0 + 10,
      prune: { keepLast: 2, consumedBefore: T0 + 3, keepAtMost: 5 },
    })
    expect(renewed).toMatchObject({ outcome: 'renewed', successor: { generation: 7, tokenHash: hashes[7] } })
    expect(await rows(7)).toEqual([3, 4, 5, 6])
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: hashes[0]!, successorHash: hash(), now: T0 + 10 })).toEqual({ outcome: 'unknown' })
    // The cap: nothing consumed before T0, so only the rule "at most 2" deletes (7 -> 8 keeps 6, 7).
    await s.renewRefreshToken({
      sessionId: session.id,
      presentedHash: hashes[7]!,
      successorHash: hashes[8]!,
      now: T0 + 11,
      prune: { keepLast: 1, consumedBefore: T0 - 1, keepAtMost: 2 },
    })
    expect(await rows(8)).toEqual([6, 7])
    expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ generation: 8, tokenHash: hashes[8], consumedAt: null })
    // Another session's rows are untouched.
    expect(await s.renewRefreshToken({ sessionId: other.id, presentedHash: theirs[0]!, successorHash: hash(), now: T0 + 12 })).toMatchObject({
      outcome: 'consumed',
      token: { generation: 0 },
    })
  })

  it('a renewal that does not renew prunes nothing', async () => {
    const s = store()
    const session = await liveSession(s)
    const [h0, h1, h2] = [hash(), hash(), hash()]
    await s.startRefreshChain({ sessionId: session.id, tokenHash: h0, now: T0 })
    await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: h1, now: T0 })
    const prune = { keepLast: 0, consumedBefore: T0 + 100, keepAtMost: 0 }
    // h0 again (consumed), and a revoked session: both change nothing.
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: h2, now: T0 + 50, prune })).toMatchObject({ outcome: 'consumed' })
    await s.revokeSession(session.id, 'logout', T0 + 60)
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h1, successorHash: h2, now: T0 + 70, prune })).toEqual({ outcome: 'session_ended' })
    expect(await s.renewRefreshToken({ sessionId: session.id, presentedHash: h0, successorHash: h2, now: T0 + 70, prune })).toMatchObject({ outcome: 'session_ended' })
    expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ tokenHash: h1, consumedAt: null })
  })

  it('of N concurrent pruning renewals of one token exactly one consumes it, and the chain stays whole', async () => {
    const s = store()
    const session = await liveSession(s)
    let current = hash()
    await s.startRefreshChain({ sessionId: session.id, tokenHash: current, now: T0 })
    for (let round = 0; round < 5; round++) {
      const now = T0 + round * 60_000
      const prune = { keepLast: 1, consumedBefore: now - 30_000, keepAtMost: 4 }
      const results = await Promise.all(
        Array.from({ length: 10 }, () => s.renewRefreshToken({ sessionId: session.id, presentedHash: current, successorHash: hash(), now, prune })),
      )
      const winners = results.filter((r) => r.outcome === 'renewed')
      expect(winners).toHaveLength(1)
      const successor = winners[0]!.outcome === 'renewed' ? winners[0]!.successor : undefined
      expect(successor?.generation).toBe(round + 1)
      current = successor!.tokenHash
    }
    expect(await s.findCurrentRefreshToken(session.id)).toMatchObject({ generation: 5, tokenHash: current })
  })
}
