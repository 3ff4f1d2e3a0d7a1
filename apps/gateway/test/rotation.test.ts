import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { cookiePair, FakeClock, makeGateway, USER_AGENT } from './helpers.js'

const ROTATE = { GATEHOUSE_ROTATE_EVERY: '300', GATEHOUSE_ROTATE_GRACE: '30' }

describe('cookie credential rotation and stolen-cookie detection', () => {
  it('rotates the credential after GATEHOUSE_ROTATE_EVERY with a new Set-Cookie', async () => {
    const gw = await makeGateway({ env: ROTATE })
    await gw.createUser('alice')
    const first = await gw.login('alice')
    gw.clock.advance(299_000)
    const before = await gw.request('/auth/session', { cookie: first })
    expect(before.headers.getSetCookie()).toEqual([])
    gw.clock.advance(1_000)
    const rotated = await gw.request('/auth/session', { cookie: first })
    expect(rotated.status).toBe(200)
    const second = cookiePair(rotated)!
    expect(second).not.toBe(first)
    expect(rotated.headers.getSetCookie()[0]).toMatch(/HttpOnly/)
    expect((await gw.request('/auth/session', { cookie: second })).status).toBe(200)
  })

  it('accepts the predecessor within the grace window without rotating again', async () => {
    const gw = await makeGateway({ env: ROTATE })
    await gw.createUser('alice')
    const first = await gw.login('alice')
    gw.clock.advance(300_000)
    const second = cookiePair(await gw.request('/auth/session', { cookie: first }))!
    gw.clock.advance(30_000)
    const late = await gw.request('/auth/session', { cookie: first })
    expect(late.status).toBe(200)
    expect(late.headers.getSetCookie()).toEqual([])
    expect((await gw.request('/auth/session', { cookie: second })).status).toBe(200)
  })

  it('the predecessor after the grace window revokes the whole session as a reuse', async () => {
    const gw = await makeGateway({ env: ROTATE })
    const alice = await gw.createUser('alice')
    const stolen = await gw.login('alice')
    gw.clock.advance(300_000)
    const fresh = cookiePair(await gw.request('/auth/session', { cookie: stolen }))!
    gw.clock.advance(31_000)
    // The thief replays the old cookie: refused, and the real user is logged out too.
    expect((await gw.request('/auth/session', { cookie: stolen })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: fresh })).status).toBe(401)
    const types = (await gw.store.listAudit({ userId: alice.id })).map((e) => e.type)
    expect(types).toContain('session.reuse_detected')
    const [session] = (await gw.store.listAudit({ type: 'session.reuse_detected' }))
    expect(await gw.store.findSession(session!.sessionId!)).toMatchObject({ revokedReason: 'reuse_detected' })
  })

  it('a credential two rotations old, rotated out longer ago than the grace, revokes the session', async () => {
    const gw = await makeGateway({ env: ROTATE })
    await gw.createUser('alice')
    const c1 = await gw.login('alice')
    gw.clock.advance(300_000)
    const c2 = cookiePair(await gw.request('/auth/session', { cookie: c1 }))!
    gw.clock.advance(300_000)
    const c3 = cookiePair(await gw.request('/auth/session', { cookie: c2 }))!
    expect((await gw.request('/auth/session', { cookie: c1 })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: c3 })).status).toBe(401)
  })

  it('50 parallel requests across a rotation all succeed (a real server)', async () => {
    const clock = new FakeClock()
    const gw = await makeGateway({ env: ROTATE, clock })
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const running = await startGateway({ ...gw.config, port: 0 }, { clock, logger: createLogger('silent') })
    try {
      clock.advance(300_000)
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${running.url}/auth/session`, { headers: { cookie, 'user-agent': USER_AGENT } })),
      )
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
      const newCookies = new Set(responses.flatMap((r) => r.headers.getSetCookie()).map((h) => h.split(';')[0]))
      expect(newCookies.size).toBe(1) // exactly one request rotated
      const [next] = [...newCookies]
      expect((await fetch(`${running.url}/auth/session`, { headers: { cookie: next!, 'user-agent': USER_AGENT } })).status).toBe(200)
      // The stragglers still holding the old cookie, within grace:
      expect((await fetch(`${running.url}/auth/session`, { headers: { cookie, 'user-agent': USER_AGENT } })).status).toBe(200)
    } finally {
      await running.close()
    }
  })
})

describe('a rotation grace as long as the period or longer', () => {
  // Rotate every 10 s, accept a rotated-out credential for 60 s after its own rotation.
  const SHORT = { GATEHOUSE_ROTATE_EVERY: '10', GATEHOUSE_ROTATE_GRACE: '60' }

  it('the gateway starts with it, and each predecessor counts from its own rotation however many followed', async () => {
    const gw = await makeGateway({ env: SHORT })
    const alice = await gw.createUser('alice')
    const cookies = [await gw.login('alice')]
    // Three rotations, 10 s apart: c0 out at +10, c1 at +20, c2 at +30.
    for (let i = 0; i < 3; i++) {
      gw.clock.advance(10_000)
      const res = await gw.request('/auth/session', { cookie: cookies[i]! })
      expect(res.status).toBe(200)
      cookies.push(cookiePair(res)!)
    }
    expect(new Set(cookies).size).toBe(4)
    gw.clock.advance(5_000) // +35
    for (const cookie of cookies) {
      const res = await gw.request('/auth/session', { cookie })
      expect(res.status).toBe(200)
      expect(res.headers.getSetCookie()).toEqual([]) // no rotation from a predecessor, none due for c3
    }
    gw.clock.advance(35_000) // +70: c0 is exactly 60 s past its rotation
    expect((await gw.request('/auth/session', { cookie: cookies[0]! })).status).toBe(200)
    expect((await gw.request('/auth/session', { cookie: cookies[2]! })).status).toBe(200)
    gw.clock.advance(1_000) // +71: c0 is past its grace, c1 (out at +20) and c2 are not
    expect((await gw.request('/auth/session', { cookie: cookies[1]! })).status).toBe(200)
    const replay = await gw.request('/auth/session', { cookie: cookies[0]! })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ code: 'ERR_UNAUTHENTICATED' })
    for (const cookie of cookies) expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
    expect((await gw.store.listAudit({ userId: alice.id, type: 'session.reuse_detected' }))).toHaveLength(1)
  })

  it('the remembered predecessors stay bounded: only those within their grace are kept', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ROTATE_EVERY: '1', GATEHOUSE_ROTATE_GRACE: '5' } })
    await gw.createUser('alice')
    let cookie = await gw.login('alice')
    const seen: string[] = [cookie]
    for (let i = 0; i < 40; i++) {
      gw.clock.advance(1_000)
      const res = await gw.request('/auth/session', { cookie })
      expect(res.status).toBe(200)
      cookie = cookiePair(res)!
      seen.push(cookie)
    }
    const sid = ((await (await gw.request('/auth/session', { cookie })).json()) as { session: { id: string } }).session.id
    const session = await gw.store.findSession(sid)
    // seen[k] was issued at +k and rotated out at +k+1; at +40 those out at +35 … +40 are kept.
    expect(session!.previousCredentials.map((p) => p.rotatedAt - session!.credentialRotatedAt)).toEqual([0, -1000, -2000, -3000, -4000, -5000])
    expect((await gw.request('/auth/session', { cookie: seen[34]! })).status).toBe(200)
    expect((await gw.request('/auth/session', { cookie: seen[33]! })).status).toBe(401)
  })

  it('200 parallel requests over five rotations on a real server, holding cookies of every age, all succeed', async () => {
    // One browser throughout (another user agent family would be an anomaly that ends the session).
    const clock = new FakeClock()
    const gw = await makeGateway({ env: SHORT, clock })
    await gw.createUser('alice')
    const cookies = [await gw.login('alice')]
    const running = await startGateway({ ...gw.config, port: 0 }, { clock, logger: createLogger('silent') })
    try {
      for (let round = 0; round < 5; round++) {
        clock.advance(10_000)
        // Requests in flight carry every cookie the browser held so far; the newest one rotates.
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) => fetch(`${running.url}/auth/session`, { headers: { cookie: cookies[cookies.length - 1 - (i % cookies.length)]!, 'user-agent': USER_AGENT } })),
        )
        expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200))
        const fresh = new Set(responses.flatMap((r) => r.headers.getSetCookie()).map((h) => h.split(';')[0]!))
        expect(fresh.size).toBe(1)
        cookies.push(...fresh)
      }
      // +50: the first cookie (out at +10) is 40 s past its rotation: still fine.
      expect((await fetch(`${running.url}/auth/session`, { headers: { cookie: cookies[0]!, 'user-agent': USER_AGENT } })).status).toBe(200)
      clock.advance(21_000) // +71: now it is a replay
      expect((await fetch(`${running.url}/auth/session`, { headers: { cookie: cookies[0]!, 'user-agent': USER_AGENT } })).status).toBe(401)
      expect((await fetch(`${running.url}/auth/session`, { headers: { cookie: cookies.at(-1)!, 'user-agent': USER_AGENT } })).status).toBe(401)
    } finally {
      await running.close()
    }
  })
})

describe('cookie secret rotation', () => {
  const OLD = 'old-cookie-secret-0123456789-abcdefghijkl'
  const NEW = 'new-cookie-secret-0123456789-mnopqrstuvwx'

  it('a cookie sealed with an older secret still opens and is re-sealed with the newest', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_COOKIE_SECRET: `1:${OLD}` } })
    await gw.createUser('alice')
    const old = await gw.login('alice')
    expect(old.split('=')[1]!.split('*')[1]).toBe('1')
    const rotated = await makeGateway({ dir: gw.config.dataDir, clock: gw.clock, env: { GATEHOUSE_COOKIE_SECRET: `2:${NEW},1:${OLD}` } })
    const res = await rotated.request('/auth/session', { cookie: old })
    expect(res.status).toBe(200)
    const resealed = cookiePair(res)!
    expect(resealed.split('=')[1]!.split('*')[1]).toBe('2')
    // Once the old id is removed: the re-sealed cookie works, one still sealed with it does not.
    const only = await makeGateway({ dir: gw.config.dataDir, clock: gw.clock, env: { GATEHOUSE_COOKIE_SECRET: `2:${NEW}` } })
    expect((await only.request('/auth/session', { cookie: resealed })).status).toBe(200)
    const other = await gw.login('alice')
    expect((await only.request('/auth/session', { cookie: other })).status).toBe(401)
  })
})

describe('session expiry and the per-user cap', () => {
  it('idle timeout: refused after GATEHOUSE_IDLE_TTL without activity, audited as expired', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_IDLE_TTL: '600' } })
    const alice = await gw.createUser('alice')
    let cookie = await gw.login('alice')
    gw.clock.advance(599_000)
    const first = await gw.request('/auth/session', { cookie })
    expect(first.status).toBe(200)
    cookie = cookiePair(first) ?? cookie // it rotated meanwhile
    gw.clock.advance(599_000) // activity above slid the idle expiry
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
    // The idle timeout after the last request, and at most one touch interval more (idle-deadline.test.ts).
    gw.clock.advance(600_000 + touchIntervalMs(600))
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
    expect((await gw.store.listAudit({ userId: alice.id, type: 'session.expired' }))).toHaveLength(1)
  })

  it('absolute lifetime: refused after GATEHOUSE_ABSOLUTE_TTL however active', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_IDLE_TTL: '600', GATEHOUSE_ABSOLUTE_TTL: '1800' } })
    await gw.createUser('alice')
    let cookie = await gw.login('alice')
    for (let t = 0; t < 1800; t += 300) {
      const res = await gw.request('/auth/session', { cookie })
      expect(res.status).toBe(200)
      cookie = cookiePair(res) ?? cookie
      gw.clock.advance(300_000)
    }
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
  })

  it('a login beyond the cap evicts the least recently used session', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_MAX_SESSIONS: '3' } })
    await gw.createUser('alice')
    const a = await gw.login('alice')
    gw.clock.advance(61_000)
    const b = await gw.login('alice')
    gw.clock.advance(61_000)
    const c = await gw.login('alice')
    gw.clock.advance(61_000)
    await gw.request('/auth/session', { cookie: a }) // a is now more recent than b
    gw.clock.advance(61_000)
    const d = await gw.login('alice')
    expect((await gw.request('/auth/session', { cookie: b })).status).toBe(401)
    for (const cookie of [a, c, d]) expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
    const evicted = await gw.store.listAudit({ type: 'session.revoked' })
    expect(evicted.map((e) => e.details.reason)).toEqual(['evicted'])
  })
})

