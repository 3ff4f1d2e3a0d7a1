import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

describe('malformed input gets a 4xx problem, never a 5xx', () => {
  const cases: [string, { body?: string; headers?: Record<string, string> }, number][] = [
    ['not JSON', { body: '{"username": "alice", ' }, 400],
    ['JSON null', { body: 'null' }, 400],
    ['a JSON array', { body: '["alice"]' }, 400],
    ['a JSON string', { body: '"alice"' }, 400],
    ['username as a number', { body: JSON.stringify({ username: 42, password: PASSWORD }) }, 400],
    ['password as an object', { body: JSON.stringify({ username: 'alice', password: { $gt: '' } }) }, 400],
    ['missing password', { body: JSON.stringify({ username: 'alice' }) }, 400],
    ['empty username', { body: JSON.stringify({ username: '', password: PASSWORD }) }, 400],
    ['a 2 KB password', { body: JSON.stringify({ username: 'alice', password: 'x'.repeat(2048) }) }, 400],
    ['deviceName too long', { body: JSON.stringify({ username: 'alice', password: PASSWORD, deviceName: 'd'.repeat(65) }) }, 400],
    ['a 1 MB body', { body: JSON.stringify({ username: 'alice', password: PASSWORD, pad: 'x'.repeat(1 << 20) }) }, 413],
    ['binary junk', { body: '\u0000\u00ff{\u00fe' }, 400],
    ['form-encoded', { body: 'username=alice&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
    ['text/plain (a no-preflight cross-site form)', { body: '{}', headers: { 'content-type': 'text/plain' } }, 415],
    ['no content type', { body: '{}', headers: { 'content-type': '' } }, 415],
    ['an empty body', { body: '' }, 400],
  ]

  it.each(cases)('POST /auth/login with %s -> %i', async (_, init, status) => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const res = await gw.request('/auth/login', { method: 'POST', ...init })
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body = await res.json()
    expect(body.status).toBe(status)
    expect(body.type).toMatch(/^urn:gatehouse:problem:/)
    expect(JSON.stringify(body)).not.toContain(PASSWORD)
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|SQLITE|stack/i)
  })

  it('names the invalid fields without echoing their values', async () => {
    const gw = await makeGateway()
    const res = await gw.request('/auth/login', { body: { username: 7, password: ['secret-value'] } })
    const body = await res.json()
    expect(body.fields).toEqual(['username', 'password'])
    expect(JSON.stringify(body)).not.toContain('secret-value')
  })

  it('an unknown route is a 404 problem, a wrong method too', async () => {
    const gw = await makeGateway()
    const res = await gw.request('/nope')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect((await gw.request('/auth/session', { method: 'PUT' })).status).toBe(404)
  })

  it('keeps what is stored when a request fails', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice')
    await gw.request('/auth/login', { body: '{broken', cookie })
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
    expect(await gw.store.findUserById(alice.id)).toEqual(alice)
  })
})
