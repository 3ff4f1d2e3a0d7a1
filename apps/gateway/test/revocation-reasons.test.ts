import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cookiePair, makeGateway, PASSWORD, type TestGateway } from './helpers.js'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { startUpstream, type TestUpstream } from './proxy-helpers.js'

let upstream: TestUpstream
beforeAll(async () => {
  upstream = await startUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"ok":true}')
  })
})
afterAll(() => upstream.close())

interface Scene {
  gw: TestGateway
  cookie: string
  other: string
  admin: string
  sid: string
  userId: string
}

/** Each way a session ends, as a user, an admin, the CLI or the gateway itself would end it. */
const ENDINGS: [string, (s: Scene) => Promise<unknown>][] = [
  ['logout', (s) => s.gw.request('/auth/logout', { method: 'POST', cookie: s.cookie })],
  ['device_revoked', (s) => s.gw.request(`/auth/sessions/${s.sid}`, { method: 'DELETE', cookie: s.other })],
  ['logout_everywhere', (s) => s.gw.request('/auth/sessions?except=current', { method: 'DELETE', cookie: s.other })],
  ['password_changed', (s) => s.gw.request('/auth/password', { cookie: s.other, body: { currentPassword: PASSWORD, newPassword: 'another long passphrase' } })],
  ['roles_changed', (s) => s.gw.request(`/admin/users/${s.userId}/roles`, { method: 'PUT', cookie: s.admin, body: { roles: ['user', 'auditor'] } })],
  ['suspended', (s) => s.gw.request(`/admin/users/${s.userId}/suspend`, { method: 'POST', cookie: s.admin })],
  ['admin_revoked', (s) => s.gw.request(`/admin/users/${s.userId}/sessions`, { method: 'DELETE', cookie: s.admin })],
  ['user_deleted', (s) => s.gw.request(`/admin/users/${s.userId}`, { method: 'DELETE', cookie: s.admin })],
  ['evicted', async (s) => {
    for (let i = 0; i < 10; i++) {
      s.gw.clock.advance(61_000)
      await s.gw.login('alice')
    }
  }],
  ['expired', async (s) => {
    s.gw.clock.advance(s.gw.config.idleTtlS * 1000 + touchIntervalMs(s.gw.config.idleTtlS))
    await s.gw.core.sessions.expireDue()
  }],
  ['reuse_detected', async (s) => {
    s.gw.clock.advance(s.gw.config.rotateEveryS * 1000)
    const res = await s.gw.request('/auth/session', { cookie: s.cookie })
    expect(cookiePair(res)).toBeDefined() // rotated
    s.gw.clock.advance((s.gw.config.rotateGraceS + 1) * 1000)
    await s.gw.request('/auth/session', { cookie: s.cookie }) // the old cookie, replayed too late
  }],
]

describe('every way a session ends is honoured on the very next request, on /auth and on /api', () => {
  it.each(ENDINGS)('%s', async (reason, end) => {
    const gw = await makeGateway({ env: { GATEHOUSE_UPSTREAMS: `echo=${upstream.url}` } })
    const alice = await gw.createUser('alice')
    await gw.createUser('root', { roles: ['admin', 'user'] })
    const cookie = await gw.login('alice', PASSWORD, 'Target')
    gw.clock.advance(61_000) // the target is now the least recently used session
    const other = await gw.login('alice', PASSWORD, 'Other')
    const admin = await gw.login('root')
    const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id
    gw.clock.advance(1_000)
    // Warm every cache on the hot path: the unsealed cookie and the upstream token.
    expect((await gw.request('/api/echo/warm', { cookie })).status).toBe(200)
    const before = upstream.seen.length

    await end({ gw, cookie, other, admin, sid, userId: alice.id })

    const events = await gw.store.listAudit({ type: 'session.revoked' })
    const mine = [...events, ...(await gw.store.listAudit({ type: 'session.expired' }))].filter((e) => e.sessionId === sid)
    expect(mine.length).toBeGreaterThan(0)
    const row = await gw.store.findSession(sid)
    if (reason !== 'user_deleted') expect(row).toMatchObject({ revokedReason: reason })
    else expect(mine[0]!.details.reason).toBe('user_deleted')

    // The 401 says why, on /auth, on /api and on /admin alike (the app words it for the user).
    // A deleted user's sessions are deleted with it: that cookie names nothing any more.
    const expected = reason === 'logout' ? 'logged_out' : reason === 'user_deleted' ? undefined : reason
    for (const path of ['/auth/session', '/api/echo/after', '/admin/users']) {
      const res = await gw.request(path, { cookie })
      expect(res.status, path).toBe(401)
      expect(res.headers.get('content-type'), path).toBe('application/problem+json')
      const body = await res.json()
      expect(body, path).toMatchObject({ code: 'ERR_UNAUTHENTICATED', status: 401 })
      expect(body.reason, path).toBe(expected)
    }
    expect(upstream.seen.length).toBe(before)
  })
})

describe('a 401 names a reason only for a cookie that named a session', () => {
  it('no cookie, and a cookie the gateway never sealed, get a 401 without a reason', async () => {
    const gw = await makeGateway()
    for (const cookie of [undefined, 'gatehouse=Fe26.2**not-a-seal']) {
      const res = await gw.request('/auth/session', cookie === undefined ? {} : { cookie })
      expect(res.status).toBe(401)
      expect(await res.json()).not.toHaveProperty('reason')
    }
  })
})
