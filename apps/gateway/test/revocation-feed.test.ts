import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { prune } from '../src/maintenance/prune.js'
import { createFeedReader } from '../src/revocations/feed-reader.js'
import { revocationRoutes } from '../src/routes/revocations.js'
import { cliIo, cookiePair, makeGateway, PASSWORD, type TestGateway } from './helpers.js'
import { readSse } from './sse.js'

const FEED = '/.well-known/gatehouse/revocations'

interface Page {
  entries: { sid: string; exp: number }[]
  cursor: string
  more: boolean
}

async function page(gw: TestGateway, after?: string): Promise<Page> {
  const res = await gw.request(after === undefined ? FEED : `${FEED}?after=${after}`)
  expect(res.status).toBe(200)
  expect(res.headers.get('cache-control')).toBe('no-store')
  return (await res.json()) as Page
}

const sessionIdOf = async (gw: TestGateway, cookie: string): Promise<string> =>
  (await (await gw.request('/auth/session', { cookie })).json()).session.id

describe('the public revocation feed: GET /.well-known/gatehouse/revocations', () => {
  it('lists a logged-out session with the time its last token expires, and nothing about the user', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const sid = await sessionIdOf(gw, cookie)
    expect(await page(gw)).toEqual({ entries: [], cursor: '0', more: false })
    const loggedOutAt = gw.clock.now()
    expect((await gw.request('/auth/logout', { method: 'POST', cookie })).status).toBe(204)
    const { entries, cursor, more } = await page(gw)
    // revokedAt + GATEHOUSE_ACCESS_TTL (300 s) + the 60 s clock allowance.
    expect(entries).toEqual([{ sid, exp: Math.ceil(loggedOutAt / 1000) + 300 + 60 }])
    expect(more).toBe(false)
    const text = JSON.stringify(await page(gw))
    expect(text).not.toContain('alice')
    expect(text).not.toContain((await gw.store.findUserByUsername('alice'))!.id)
    // Resuming from the cursor: nothing new.
    expect(await page(gw, cursor)).toEqual({ entries: [], cursor, more: false })
  })

  it('carries every revocation reason: device revoke, password change, suspension, theft detection, CLI', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ROTATE_EVERY: '300', GATEHOUSE_ROTATE_GRACE: '30' } })
    await gw.createUser('root', { roles: ['admin', 'user'] })
    await gw.createUser('alice')
    const bob = await gw.createUser('bob')
    await gw.createUser('carol')
    const rootCookie = await gw.login('root')
    const laptop = await gw.login('alice', PASSWORD, 'Laptop')
    const phone = await gw.login('alice', PASSWORD, 'Phone')
    const tablet = await gw.login('alice', PASSWORD, 'Tablet')
    const bobCookie = await gw.login('bob')
    const carolCookie = await gw.login('carol')
    const ids = {
      phone: await sessionIdOf(gw, phone),
      tablet: await sessionIdOf(gw, tablet),
      bob: await sessionIdOf(gw, bobCookie),
      carol: await sessionIdOf(gw, carolCookie),
    }
    let { cursor } = await page(gw)
    const next = async () => {
      const p = await page(gw, cursor)
      cursor = p.cursor
      return p.entries.map((e) => e.sid)
    }

    expect((await gw.request(`/auth/sessions/${ids.phone}`, { method: 'DELETE', cookie: laptop })).status).toBe(204)
    expect(await next()).toEqual([ids.phone])
    const pw = await gw.request('/auth/password', { body: { currentPassword: PASSWORD, newPassword: 'another long passphrase 42' }, cookie: laptop })
    expect(pw.status).toBe(204)
    expect(await next()).toEqual([ids.tablet])
    expect((await gw.request(`/admin/users/${bob.id}/suspend`, { method: 'POST', cookie: rootCookie })).status).toBeLessThan(300)
    expect(await next()).toEqual([ids.bob])
    // Theft: carol's cookie is rotated, then the old copy shows up after the grace window.
    gw.clock.advance(300_000)
    expect(cookiePair(await gw.request('/auth/session', { cookie: carolCookie }))).toBeDefined()
    gw.clock.advance(31_000)
    expect((await gw.request('/auth/session', { cookie: carolCookie })).status).toBe(401)
    expect(await next()).toEqual([ids.carol])
    // The CLI is another process on the same file: its revocations land in the same feed.
    const cli = cliIo(gw.config.dataDir)
    expect(await runCli(['sessions', 'revoke', 'alice'], cli.io)).toBe(0)
    expect(await next()).toEqual([await gw.store.listAudit({ type: 'session.revoked' }).then((events) => events[0]!.sessionId)])
  })

  it('drops entries once no token of theirs can verify, in the answer and then from the store', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    await gw.request('/auth/logout', { method: 'POST', cookie })
    gw.clock.advance(359_000)
    expect((await page(gw)).entries).toHaveLength(1)
    gw.clock.advance(2_000)
    expect((await page(gw)).entries).toEqual([])
    expect((await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })).deletedRevocations).toBe(1)
    expect((await gw.store.listRevocations({ after: 0, endedSince: 0, limit: 10 })).entries).toEqual([])
  })

  it('refuses a cursor it never handed out with 400 problem+json', async () => {
    const gw = await makeGateway()
    for (const bad of ['-1', 'abc', '1e3', '9'.repeat(20)]) {
      const res = await gw.request(`${FEED}?after=${bad}`)
      expect(res.status).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    const res = await gw.request(FEED, { headers: { accept: 'text/event-stream', 'last-event-id': 'x' } })
    expect(res.status).toBe(400)
  })

  it('answers 503 with Retry-After when the store cannot be read', async () => {
    const gw = await makeGateway()
    await gw.store.close()
    const res = await gw.request(FEED)
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = await res.text()
    // The same answer as every route while the store is down.
    expect(JSON.parse(body)).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    expect(body).not.toMatch(/select|sqlite/i)
  })

  it('pages a mass revocation by cursor, and compresses it for clients that accept gzip', async () => {
    const gw = await makeGateway()
    const user = await gw.createUser('alice')
    const template = (await gw.store.findSession(await sessionIdOf(gw, await gw.login('alice'))))!
    for (let i = 0; i < 30; i++) await gw.store.createSession({ ...template, id: `session-${i}`, credentialHash: `h${i}` })
    await gw.core.sessions.revokeAllOfUser(user.id, 'admin_revoked', {})
    const read = createFeedReader(gw.store, gw.clock, gw.config.accessTtlS)
    const seen: string[] = []
    let cursor = 0
    for (;;) {
      const p = await read(cursor, 7)
      seen.push(...p.entries.map((e) => e.sid))
      cursor = Number(p.cursor)
      if (!p.more) break
    }
    expect(seen).toHaveLength(31)
    expect(new Set(seen).size).toBe(31)
    const res = await gw.request(FEED, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    const all = (await new Response(res.body!.pipeThrough(new DecompressionStream('gzip'))).json()) as Page
    expect(all.entries.map((e) => e.sid).sort()).toEqual([...seen].sort())
  })
})

describe('the revocation feed as a server-sent event stream', () => {
  it('catches up from the cursor, then pushes new revocations as they happen', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const first = await gw.login('alice')
    const second = await gw.login('alice')
    await gw.request('/auth/logout', { method: 'POST', cookie: first })
    const res = await gw.request(FEED, { headers: { accept: 'text/event-stream' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const stream = readSse(res.body!)
    try {
      const catchUp = await stream.next()
      expect(catchUp.event).toBe('revocations')
      const body = JSON.parse(catchUp.data) as { entries: { sid: string }[]; more: boolean }
      expect(body.entries.map((e) => e.sid)).toEqual([await gw.store.listAudit({ type: 'session.revoked' }).then((e) => e[0]!.sessionId)])
      expect(body.more).toBe(false)
      const secondId = await sessionIdOf(gw, second)
      await gw.request('/auth/logout', { method: 'POST', cookie: second })
      const pushed = await stream.next()
      expect(JSON.parse(pushed.data).entries.map((e: { sid: string }) => e.sid)).toEqual([secondId])
      expect(Number(pushed.id)).toBeGreaterThan(Number(catchUp.id))

      // Resuming with Last-Event-ID (what an EventSource sends) starts after it.
      const resumed = readSse((await gw.request(FEED, { headers: { accept: 'text/event-stream', 'last-event-id': catchUp.id! } })).body!)
      expect(JSON.parse((await resumed.next()).data).entries.map((e: { sid: string }) => e.sid)).toEqual([secondId])
      await resumed.cancel()
    } finally {
      await stream.cancel()
    }
  })

  it('a stream stays quiet after a prune emptied the feed below the head it had seen (no busy loop)', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.request('/auth/logout', { method: 'POST', cookie: await gw.login('alice') })
    const first = readSse((await gw.request(FEED, { headers: { accept: 'text/event-stream' } })).body!)
    await first.next()
    // The hub has seen seq 1; then every entry expires and is pruned: the store's head is 0 again.
    await new Promise((r) => setTimeout(r, 400))
    gw.clock.advance(400_000)
    await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })
    let reads = 0
    const reader = createFeedReader(gw.store, gw.clock, gw.config.accessTtlS)
    const counted = revocationRoutes((after, limit) => {
      reads += 1
      return reader(after, limit)
    }, gw.revocationHub)
    const second = readSse((await counted.request(FEED, { headers: { accept: 'text/event-stream' } })).body!)
    expect(JSON.parse((await second.next()).data)).toEqual({ entries: [], more: false })
    await new Promise((r) => setTimeout(r, 600))
    expect(reads).toBeLessThan(5)
    await first.cancel()
    await second.cancel()
  })

  it('ends every open stream when the gateway shuts down', async () => {
    const gw = await makeGateway()
    const stream = readSse((await gw.request(FEED, { headers: { accept: 'text/event-stream' } })).body!)
    await stream.next()
    gw.revocationHub.close()
    await stream.end()
  })
})
