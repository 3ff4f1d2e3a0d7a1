import { describe, expect, it } from 'vitest'
import { createPasswordHasher, type PasswordHasher } from '../src/auth/passwords.js'
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
    const real = createPasswordHasher()
    const hasher: PasswordHasher = { ...real, verify: () => Promise.reject(new Error('argon2 exploded at /usr/lib/x.so')) }
    const gw = await makeGateway({ hasher })
    await gw.createUser('alice')
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(res.status).toBe(500)
    const body = await res.json()
    expect(body).toMatchObject({ code: 'ERR_INTERNAL', status: 500 })
    expect(JSON.stringify(body)).not.toMatch(/argon2|exploded|at /i)
    expect(gw.logs.text()).toContain(body.requestId)
    expect(gw.logs.text()).not.toContain(PASSWORD)
  })

  it('a store that is gone is a 503 with Retry-After, one warning line without a stack, no password', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.store.close() // the store is gone: every lookup throws
    const res = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    const body = await res.json()
    expect(body).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 })
    expect(JSON.stringify(body)).not.toMatch(/database|sqlite|at /i)
    const lines = gw.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.filter((l) => l.msg === 'store unavailable')).toEqual([
      expect.objectContaining({ level: 40, code: 'ERR_STORE_UNAVAILABLE', reason: 'sqlite store: findUserByUsername failed' }),
    ])
    expect(gw.logs.text()).not.toMatch(/"stack"|unhandled error/)
    expect(gw.logs.text()).not.toContain(PASSWORD)
  })
})
