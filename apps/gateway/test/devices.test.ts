import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

async function sessionId(gw: Awaited<ReturnType<typeof makeGateway>>, cookie: string): Promise<string> {
  return (await (await gw.request('/auth/session', { cookie })).json()).session.id
}

describe('your devices: /auth/sessions', () => {
  it('lists the live sessions of this user only, the current one marked', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.createUser('bob')
    const laptop = await gw.login('alice', PASSWORD, 'Laptop')
    gw.clock.advance(61_000)
    const phone = await gw.login('alice', PASSWORD, 'Phone')
    await gw.login('bob', PASSWORD, 'Bob phone')
    const res = await gw.request('/auth/sessions', { cookie: laptop })
    expect(res.status).toBe(200)
    const { sessions } = await res.json()
    expect(sessions.map((s: { deviceName: string }) => s.deviceName).sort()).toEqual(['Laptop', 'Phone'])
    expect(sessions.find((s: { current: boolean }) => s.current).deviceName).toBe('Laptop')
    expect(Object.keys(sessions[0]).sort()).toEqual(['createdAt', 'current', 'deviceName', 'id', 'lastSeenAt', 'network', 'shortId', 'userAgent'])
    expect((await gw.request('/auth/sessions', { cookie: phone })).status).toBe(200)
    expect((await gw.request('/auth/sessions')).status).toBe(401)
  })

  it('logs out one device: 204, that cookie refused next, the others untouched', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const laptop = await gw.login('alice', PASSWORD, 'Laptop')
    const phone = await gw.login('alice', PASSWORD, 'Phone')
    const phoneId = await sessionId(gw, phone)
    const res = await gw.request(`/auth/sessions/${phoneId}`, { method: 'DELETE', cookie: laptop })
    expect(res.status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: phone })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: laptop })).status).toBe(200)
    expect(await gw.store.findSession(phoneId)).toMatchObject({ revokedReason: 'device_revoked' })
  })

  it("cannot see or revoke another user's session: 404, and it lives on", async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.createUser('mallory')
    const alice = await gw.login('alice')
    const mallory = await gw.login('mallory')
    const aliceId = await sessionId(gw, alice)
    const list = await (await gw.request('/auth/sessions', { cookie: mallory })).json()
    expect(list.sessions.map((s: { id: string }) => s.id)).not.toContain(aliceId)
    const res = await gw.request(`/auth/sessions/${aliceId}`, { method: 'DELETE', cookie: mallory })
    expect(res.status).toBe(404)
    expect(await gw.request('/auth/sessions/no-such-id', { method: 'DELETE', cookie: mallory }).then((r) => r.status)).toBe(404)
    expect((await gw.request('/auth/session', { cookie: alice })).status).toBe(200)
  })

  it('logs out everywhere, this device included', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const a = await gw.login('alice')
    const b = await gw.login('alice')
    const res = await gw.request('/auth/sessions', { method: 'DELETE', cookie: a })
    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()[0]).toMatch(/Max-Age=0/)
    for (const cookie of [a, b]) expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
  })

  it('logs out every other device with ?except=current', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const a = await gw.login('alice')
    const b = await gw.login('alice')
    const c = await gw.login('alice')
    expect((await gw.request('/auth/sessions?except=current', { method: 'DELETE', cookie: a })).status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: a })).status).toBe(200)
    for (const cookie of [b, c]) expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
    expect((await gw.request('/auth/sessions?except=everything', { method: 'DELETE', cookie: a })).status).toBe(400)
  })

  it('writes last-seen at most once a minute', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const id = await sessionId(gw, cookie)
    const created = (await gw.store.findSession(id))!.lastSeenAt
    gw.clock.advance(30_000)
    await gw.request('/auth/session', { cookie })
    expect((await gw.store.findSession(id))!.lastSeenAt).toBe(created)
    gw.clock.advance(31_000)
    await gw.request('/auth/session', { cookie })
    expect((await gw.store.findSession(id))!.lastSeenAt).toBe(gw.clock.now())
  })
})

describe('POST /auth/password', () => {
  it('changes the password and revokes every other session, keeping this one', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const here = await gw.login('alice')
    const there = await gw.login('alice')
    const res = await gw.request('/auth/password', { cookie: here, body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } })
    expect(res.status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: here })).status).toBe(200)
    expect((await gw.request('/auth/session', { cookie: there })).status).toBe(401)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(401)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: 'a brand new passphrase' } })).status).toBe(200)
  })

  it('401 for a wrong current password, 400 for a too-short new one, 401 without a session', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const wrong = await gw.request('/auth/password', { cookie, body: { currentPassword: 'nope nope', newPassword: 'a brand new passphrase' } })
    expect(wrong.status).toBe(401)
    expect((await wrong.json()).code).toBe('ERR_BAD_CREDENTIALS')
    expect((await gw.request('/auth/password', { cookie, body: { currentPassword: PASSWORD, newPassword: 'short' } })).status).toBe(400)
    expect((await gw.request('/auth/password', { cookie, body: { currentPassword: PASSWORD } })).status).toBe(400)
    expect((await gw.request('/auth/password', { body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
  })

  it('429 after repeated wrong current passwords', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    for (let i = 0; i < 5; i++) await gw.request('/auth/password', { cookie, body: { currentPassword: `wrong ${i}!!`, newPassword: 'a brand new passphrase' } })
    const res = await gw.request('/auth/password', { cookie, body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
  })
})
