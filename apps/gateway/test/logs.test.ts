import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

describe('logs never hold a cookie, a credential or a password', () => {
  it('across login, use, a failed login, malformed input and logout', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    await gw.request('/auth/session', { cookie })
    await gw.request('/auth/login', { body: { username: 'alice', password: 'wrong-password-123' } })
    await gw.request('/auth/login', { body: `{"username":"alice","password":"${PASSWORD}"` })
    await gw.request('/auth/session', { cookie: `${cookie}tampered` })
    await gw.request('/auth/logout', { method: 'POST', cookie })

    const logs = gw.logs.text()
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(6)
    const cookieValue = cookie.split('=')[1]!
    const opened = await gw.core.sessions.cookie.open(cookieValue)
    for (const secret of [cookieValue, cookieValue.slice(10, 40), opened!.payload.cred, PASSWORD, 'wrong-password-123']) {
      expect(logs).not.toContain(secret)
    }
    expect(logs).not.toMatch(/Fe26\.2/)
  })

  it('an unexpected error is logged with its request id and answered 500 without detail', async () => {
    const gw = await makeGateway()
    await gw.store.close() // the store is gone: every lookup throws
    await gw.createUser('alice').catch(() => undefined)
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(res.status).toBe(500)
    const body = await res.json()
    expect(body).toMatchObject({ code: 'ERR_INTERNAL', status: 500 })
    expect(JSON.stringify(body)).not.toMatch(/database|sqlite|at /i)
    expect(gw.logs.text()).toContain(body.requestId)
    expect(gw.logs.text()).not.toContain(PASSWORD)
  })
})
