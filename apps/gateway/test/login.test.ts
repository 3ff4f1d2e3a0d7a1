import { describe, expect, it } from 'vitest'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { cookiePair, makeGateway, PASSWORD } from './helpers.js'

describe('POST /auth/login', () => {
  it('answers 200 with the user and session, and sets the session cookie', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice', { roles: ['user', 'admin'] })
    const res = await gw.request('/auth/login', { body: { username: 'Alice', password: PASSWORD, deviceName: 'Work laptop' } })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.user).toEqual({ id: alice.id, username: 'alice', roles: ['admin', 'user'] })
    expect(body.session).toMatchObject({ deviceName: 'Work laptop', createdAt: new Date(gw.clock.now()).toISOString() })
    expect(typeof body.session.id).toBe('string')
    expect(Date.parse(body.session.expiresAt)).toBe(gw.clock.now() + gw.config.idleTtlS * 1000 + touchIntervalMs(gw.config.idleTtlS))
    expect(JSON.stringify(body)).not.toContain('passwordHash')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('derives a device name from the user agent when none is given', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect((await res.json()).session.deviceName).toBe('Firefox on Linux')
  })

  it('sets an HttpOnly, SameSite, Path=/ cookie under 512 bytes holding only the session credential', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    const [header] = res.headers.getSetCookie()
    expect(header).toMatch(/^gatehouse=Fe26\.2\*/)
    expect(header).toMatch(/; HttpOnly/)
    expect(header).toMatch(/; SameSite=(Lax|Strict)/)
    expect(header).toMatch(/; Path=\//)
    expect(header).not.toMatch(/Secure/) // http public origin in development
    const value = cookiePair(res)!.split('=')[1]!
    expect(Buffer.byteLength(cookiePair(res)!)).toBeLessThan(512)
    expect(value).not.toContain(alice.id)
    const opened = await gw.core.sessions.cookie.open(value)
    expect(Object.keys(opened!.payload).sort()).toEqual(['cred', 'sid'])
  })

  it('uses a Secure __Host- cookie when the public origin is https', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_PUBLIC_ORIGIN: 'https://app.example.com' } })
    await gw.createUser('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    const [header] = res.headers.getSetCookie()
    expect(header).toMatch(/^__Host-gatehouse=/)
    expect(header).toMatch(/; Secure/)
    expect(header).toMatch(/; Path=\//)
    expect(header).not.toMatch(/Domain=/i)
  })

  it('gives an unknown user and a wrong password the same answer, after the same argon2 work', async () => {
    let verifications = 0
    const gw = await makeGateway()
    const { verify, verifyDummy } = gw.hasher
    gw.hasher.verify = async (h, p) => (verifications++, verify(h, p))
    gw.hasher.verifyDummy = async (p) => (verifications++, verifyDummy(p))
    await gw.createUser('alice')

    const wrong = await gw.request('/auth/login', { body: { username: 'alice', password: 'not the password' } })
    expect(verifications).toBe(1)
    const unknown = await gw.request('/auth/login', { body: { username: 'mallory', password: 'not the password' } })
    expect(verifications).toBe(2)

    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(await unknown.json()).toEqual(await wrong.json())
    expect(wrong.headers.getSetCookie()).toEqual([])
    expect(wrong.headers.get('content-type')).toBe('application/problem+json')
  })

  it('refuses a suspended user with 403 and creates no session', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    await gw.core.users.suspend(alice.id, { actor: 'test' })
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(res.status).toBe(403)
    expect((await res.json()).code).toBe('ERR_SUSPENDED')
    expect(await gw.store.listActiveSessions(alice.id, gw.clock.now())).toEqual([])
  })

  it('starts a fresh session on every login and ends the one the browser held (no fixation)', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const first = await gw.login('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD }, cookie: first })
    const second = cookiePair(res)!
    expect(second).not.toBe(first)
    expect((await gw.request('/auth/session', { cookie: first })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: second })).status).toBe(200)
  })

  it('writes audit events for success and failure', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    await gw.login('alice')
    await gw.request('/auth/login', { body: { username: 'alice', password: 'wrong password!' } })
    const types = (await gw.store.listAudit({ userId: alice.id })).map((e) => e.type)
    expect(types).toEqual(['login.failed', 'login.succeeded', 'session.created', 'user.created'])
  })
})

describe('GET /auth/session and POST /auth/logout', () => {
  it('returns the user and session for a valid cookie, 401 without one', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice', PASSWORD, 'Phone')
    const res = await gw.request('/auth/session', { cookie })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.user).toEqual({ id: alice.id, username: 'alice', roles: ['user'] })
    expect(body.session.deviceName).toBe('Phone')
    const none = await gw.request('/auth/session')
    expect(none.status).toBe(401)
    expect((await none.json()).code).toBe('ERR_UNAUTHENTICATED')
  })

  it('logs out: 204, the cookie cleared, and the same cookie replayed afterwards is refused', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const res = await gw.request('/auth/logout', { method: 'POST', cookie })
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()[0]).toMatch(/^gatehouse=; Max-Age=0/)
    const replay = await gw.request('/auth/session', { cookie })
    expect(replay.status).toBe(401)
    expect((await gw.request('/auth/logout', { method: 'POST', cookie })).status).toBe(401)
  })

  it('refuses a tampered cookie and clears it', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const [name, value] = cookie.split('=') as [string, string]
    // Flip one character inside the encrypted part of the seal.
    const parts = value.split('*')
    const enc = parts[4]!
    parts[4] = (enc[0] === 'A' ? 'B' : 'A') + enc.slice(1)
    for (const forged of [`${name}=${parts.join('*')}`, `${name}=${value.slice(0, -3)}`, `${name}=garbage`, `${name}=${'x'.repeat(5000)}`]) {
      const res = await gw.request('/auth/session', { cookie: forged })
      expect(res.status).toBe(401)
      expect(res.headers.getSetCookie()[0]).toMatch(/Max-Age=0/)
    }
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
  })

  it('refuses a cookie sealed with a secret the gateway does not have', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const other = await makeGateway({ env: { GATEHOUSE_COOKIE_SECRET: 'another-secret-entirely-0123456789abcdef' } })
    expect((await other.request('/auth/session', { cookie })).status).toBe(401)
  })
})
