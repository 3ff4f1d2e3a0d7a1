import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

async function setup() {
  const gw = await makeGateway()
  const admin = await gw.createUser('root', { roles: ['admin', 'user'] })
  const alice = await gw.createUser('alice')
  const adminCookie = await gw.login('root')
  const aliceCookie = await gw.login('alice', PASSWORD, 'Alice laptop')
  return { gw, admin, alice, adminCookie, aliceCookie }
}

describe('admin API (role admin)', () => {
  it('refuses without a session (401) and without the role (403), changing nothing', async () => {
    const { gw, alice, aliceCookie } = await setup()
    const paths: [string, string][] = [
      ['GET', `/admin/users/${alice.id}/sessions`],
      ['DELETE', `/admin/users/${alice.id}/sessions`],
      ['PUT', `/admin/users/${alice.id}/roles`],
      ['POST', `/admin/users/${alice.id}/suspend`],
      ['GET', '/admin/audit'],
      ['GET', '/admin/users'],
    ]
    for (const [method, path] of paths) {
      const body = method === 'PUT' ? { roles: ['admin'] } : undefined
      expect((await gw.request(path, { method, ...(body ? { body } : {}) })).status, `${method} ${path}`).toBe(401)
      const res = await gw.request(path, { method, cookie: aliceCookie, ...(body ? { body } : {}) })
      expect(res.status, `${method} ${path}`).toBe(403)
    }
    expect((await gw.store.findUserById(alice.id))?.roles).toEqual(['user'])
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(200)
  })

  it("lists a user's active sessions and revokes them all", async () => {
    const { gw, alice, adminCookie, aliceCookie } = await setup()
    const list = await gw.request(`/admin/users/${alice.id}/sessions`, { cookie: adminCookie })
    expect(list.status).toBe(200)
    const { sessions } = await list.json()
    expect(sessions.map((s: { deviceName: string }) => s.deviceName)).toEqual(['Alice laptop'])
    expect((await gw.request(`/admin/users/${alice.id}/sessions`, { method: 'DELETE', cookie: adminCookie })).status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(401)
    expect((await gw.request('/admin/users/nobody/sessions', { cookie: adminCookie })).status).toBe(404)
  })

  it('changes roles and revokes the sessions; bad roles are a 400', async () => {
    const { gw, alice, adminCookie, aliceCookie } = await setup()
    const res = await gw.request(`/admin/users/${alice.id}/roles`, { method: 'PUT', cookie: adminCookie, body: { roles: ['user', 'auditor'] } })
    expect(res.status).toBe(200)
    expect((await res.json()).user.roles).toEqual(['auditor', 'user'])
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(401)
    expect((await gw.request(`/admin/users/${alice.id}/roles`, { method: 'PUT', cookie: adminCookie, body: { roles: 'admin' } })).status).toBe(400)
    expect((await gw.request(`/admin/users/${alice.id}/roles`, { method: 'PUT', cookie: adminCookie, body: { roles: ['Bad Role'] } })).status).toBe(400)
  })

  it('suspension revokes every session and blocks login; unsuspend restores login', async () => {
    const { gw, alice, adminCookie, aliceCookie } = await setup()
    expect((await gw.request(`/admin/users/${alice.id}/suspend`, { method: 'POST', cookie: adminCookie })).status).toBe(200)
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(401)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(403)
    const un = await gw.request(`/admin/users/${alice.id}/unsuspend`, { method: 'POST', cookie: adminCookie })
    expect((await un.json()).user.suspended).toBe(false)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(200)
  })

  it('deleting a user revokes its sessions first, then the account is gone', async () => {
    const { gw, alice, adminCookie, aliceCookie } = await setup()
    expect((await gw.request(`/admin/users/${alice.id}`, { method: 'DELETE', cookie: adminCookie })).status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(401)
    const reasons = (await gw.store.listAudit({ userId: alice.id, type: 'session.revoked' })).map((e) => e.details.reason)
    expect(reasons).toEqual(['user_deleted'])
    expect((await gw.store.listAudit({ type: 'user.deleted' }))).toHaveLength(1)
  })

  it('GET /admin/audit filters by user, type and time, newest first', async () => {
    const { gw, alice, adminCookie } = await setup()
    gw.clock.advance(10_000)
    const mark = new Date(gw.clock.now()).toISOString()
    await gw.request('/auth/login', { body: { username: 'alice', password: 'wrong wrong' } })
    const all = await (await gw.request(`/admin/audit?userId=${alice.id}`, { cookie: adminCookie })).json()
    expect(all.events[0].type).toBe('login.failed')
    expect(all.events.every((e: { userId: string }) => e.userId === alice.id)).toBe(true)
    const typed = await (await gw.request('/admin/audit?type=login.succeeded', { cookie: adminCookie })).json()
    expect(typed.events).toHaveLength(2)
    const since = await (await gw.request(`/admin/audit?since=${encodeURIComponent(mark)}`, { cookie: adminCookie })).json()
    expect(since.events.map((e: { type: string }) => e.type)).toEqual(['login.failed'])
    expect((await gw.request('/admin/audit?since=yesterday', { cookie: adminCookie })).status).toBe(400)
    expect((await gw.request('/admin/audit?limit=0', { cookie: adminCookie })).status).toBe(400)
  })

  it('cross-site admin actions are refused', async () => {
    const { gw, alice, adminCookie, aliceCookie } = await setup()
    const res = await gw.request(`/admin/users/${alice.id}/suspend`, { method: 'POST', cookie: adminCookie, headers: { origin: 'https://evil.example' } })
    expect(res.status).toBe(403)
    expect((await gw.request('/auth/session', { cookie: aliceCookie })).status).toBe(200)
  })
})
