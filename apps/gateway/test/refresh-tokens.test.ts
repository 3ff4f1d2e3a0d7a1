import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { openSqlite } from '@gatehouse/store-sqlite'
import { RACE_WINDOW_MS } from '@gatehouse/tokens'
import { describe, expect, it } from 'vitest'
import { FakeClock, makeGateway, type TestGateway } from './helpers.js'
import { loggedIn, verifierFor } from './token-helpers.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const dbPath = (gw: TestGateway) => (gw.config.database as { path: string }).path

describe('refresh-token reuse', () => {
  it('a consumed refresh token presented again revokes the session, audits it and drops its tokens', async () => {
    const gw = await makeGateway()
    const { subject, cookie } = await loggedIn(gw)
    const stolen = await gw.core.tokens.refreshTokens.current(subject.sessionId)
    const cached = await gw.core.tokens.tokenFor(subject, 'orders') // consumes it
    gw.clock.advance(RACE_WINDOW_MS + 1)

    await expect(gw.core.tokens.refreshTokens.renew(subject, stolen.token)).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_REUSED' })
    expect(await gw.store.findSession(subject.sessionId)).toMatchObject({ revokedReason: 'reuse_detected' })
    const [reuse] = await gw.store.listAudit({ type: 'refresh_token.reuse_detected' })
    expect(reuse).toMatchObject({ sessionId: subject.sessionId, userId: subject.userId, details: { generation: stolen.generation } })
    expect((await gw.store.listAudit({ type: 'session.revoked' }))[0]).toMatchObject({ sessionId: subject.sessionId, details: { reason: 'reuse_detected' } })

    // The whole family is gone: no cached token (it would be `cached`), no new one, no session.
    await expect(gw.core.tokens.tokenFor(subject, 'orders')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' })
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
    expect(cached).toBeTruthy()
  })

  it('within the race window a consumed token is a race, not a theft', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    const old = await gw.core.tokens.refreshTokens.current(subject.sessionId)
    await gw.core.tokens.refreshTokens.renew(subject)
    gw.clock.advance(RACE_WINDOW_MS)
    expect(await gw.core.tokens.refreshTokens.renew(subject, old.token)).toEqual({ renewed: false, race: true })
    expect(await gw.store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
    expect(await gw.store.listAudit({ type: 'refresh_token.reuse_detected' })).toEqual([])
  })

  it('a forged token, or another session’s, is refused without revoking anything', async () => {
    const gw = await makeGateway()
    const a = await loggedIn(gw, 'alice')
    const b = await loggedIn(gw, 'bob')
    const theirs = await gw.core.tokens.refreshTokens.current(b.subject.sessionId)
    const mine = await gw.core.tokens.refreshTokens.current(a.subject.sessionId)
    const forged = `${mine.generation}.${'A'.repeat(43)}`
    for (const token of [theirs.token, forged, 'garbage', `${mine.generation + 1}${mine.token.slice(1)}`]) {
      await expect(gw.core.tokens.refreshTokens.renew(a.subject, token), token).rejects.toMatchObject({ code: 'ERR_REFRESH_TOKEN_UNKNOWN' })
    }
    expect(await gw.store.findSession(a.subject.sessionId)).toMatchObject({ revokedAt: null })
    expect(await gw.store.findSession(b.subject.sessionId)).toMatchObject({ revokedAt: null })
  })
})

describe('concurrent renewals of one live session', () => {
  it('50 parallel forced renewals all get a valid token and do not revoke it', async () => {
    const gw = await makeGateway()
    const { subject, cookie } = await loggedIn(gw)
    const tokens = await Promise.all(Array.from({ length: 50 }, () => gw.core.tokens.tokenFor(subject, 'orders', { fresh: true })))
    expect(new Set(tokens).size).toBe(50)
    const verifier = await verifierFor(gw, 'orders')
    for (const t of tokens) await verifier.verify(t)
    expect(await gw.store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
    expect(await gw.store.listAudit({ type: 'refresh_token.reuse_detected' })).toEqual([])
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
  })

  it('racing renewals of the same token: one consumes it, the others are recognised as races', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    const results = await Promise.all(Array.from({ length: 50 }, () => gw.core.tokens.refreshTokens.renew(subject)))
    expect(results.filter((r) => r.renewed).length).toBeGreaterThanOrEqual(1)
    expect(results.filter((r) => !r.renewed).length).toBeGreaterThan(0)
    expect(await gw.store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
  })

  it('several gateway processes on one database, clocks a few seconds apart, do not trip the detection', async () => {
    const first = await makeGateway()
    const { subject } = await loggedIn(first)
    const others = await Promise.all(
      [-5000, -1000, 2000, 4000].map((skew) => makeGateway({ dir: first.config.dataDir, clock: new FakeClock(first.clock.now() + skew) })),
    )
    const gateways = [first, ...others]
    for (let round = 0; round < 3; round++) {
      const tokens = await Promise.all(
        gateways.flatMap((gw) => Array.from({ length: 10 }, () => gw.core.tokens.tokenFor(subject, 'orders', { fresh: true }))),
      )
      expect(new Set(tokens).size).toBe(50)
      for (const gw of gateways) gw.clock.advance(60_000)
    }
    expect(await first.store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
    expect(await first.store.listAudit({ type: 'refresh_token.reuse_detected' })).toEqual([])
    for (const gw of others) await gw.store.close()
  })
})

describe('where the refresh token lives', () => {
  it('only its hash is stored: the plaintext is in no row and nowhere in the SQLite files', async () => {
    const gw = await makeGateway()
    const { subject } = await loggedIn(gw)
    await gw.core.tokens.tokenFor(subject, 'orders')
    const current = await gw.core.tokens.refreshTokens.current(subject.sessionId)
    const { client } = openSqlite(dbPath(gw))
    const rows = client.prepare('select * from refresh_tokens where session_id = ? order by generation').all(subject.sessionId) as Record<string, unknown>[]
    client.close()
    expect(rows.map((r) => r.generation)).toEqual([0, 1])
    expect(rows[1]).toMatchObject({ token_hash: sha256(current.token), consumed_at: null })
    expect(rows[0]).toMatchObject({ replaced_by: sha256(current.token), consumed_at: gw.clock.now() })
    const secret = current.token.split('.')[1]!
    expect(JSON.stringify(rows)).not.toContain(secret)
    for (const file of [dbPath(gw), `${dbPath(gw)}-wal`].filter(existsSync)) {
      const bytes = readFileSync(file)
      expect(bytes.includes(secret)).toBe(false)
      expect(bytes.includes(Buffer.from(secret, 'base64url'))).toBe(false)
    }
  })

  it('survives a restart: a new process derives the current token and continues the chain', async () => {
    const first = await makeGateway()
    const { subject } = await loggedIn(first)
    await first.core.tokens.tokenFor(subject, 'orders')
    const before = await first.core.tokens.refreshTokens.current(subject.sessionId)
    await first.store.close()

    const second = await makeGateway({ dir: first.config.dataDir, clock: first.clock })
    expect(await second.core.tokens.refreshTokens.current(subject.sessionId)).toEqual(before)
    await second.core.tokens.tokenFor(subject, 'orders')
    expect(await second.store.findCurrentRefreshToken(subject.sessionId)).toMatchObject({ generation: before.generation + 1 })
    expect(await second.store.findSession(subject.sessionId)).toMatchObject({ revokedAt: null })
  })
})
