import { describe, expect, it } from 'vitest'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { cookiePair, makeGateway } from './helpers.js'

const value = (pair: string) => pair.slice(pair.indexOf('=') + 1)

describe('hot-path caches are dropped when a session ends', () => {
  it('the unsealed cookie is cached on use and dropped on logout', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    await gw.request('/auth/session', { cookie })
    expect(gw.core.sessions.isCached(value(cookie))).toBe(true)
    await gw.request('/auth/logout', { method: 'POST', cookie })
    expect(gw.core.sessions.isCached(value(cookie))).toBe(false)
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
  })

  it.each([
    ['device revoked from another device', async (gw: Awaited<ReturnType<typeof makeGateway>>, _c: string, sid: string, other: string) => {
      await gw.request(`/auth/sessions/${sid}`, { method: 'DELETE', cookie: other })
    }],
    ['log out everywhere', async (gw: Awaited<ReturnType<typeof makeGateway>>, _c: string, _sid: string, other: string) => {
      await gw.request('/auth/sessions', { method: 'DELETE', cookie: other })
    }],
    ['suspension', async (gw: Awaited<ReturnType<typeof makeGateway>>, _c: string, sid: string) => {
      const s = await gw.store.findSession(sid)
      await gw.core.users.suspend(s!.userId, { actor: 'test' })
    }],
    ['idle expiry', async (gw: Awaited<ReturnType<typeof makeGateway>>, cookie: string) => {
      gw.clock.advance(gw.config.idleTtlS * 1000 + touchIntervalMs(gw.config.idleTtlS))
      await gw.request('/auth/session', { cookie })
    }],
    ['expiry found by prune', async (gw: Awaited<ReturnType<typeof makeGateway>>) => {
      gw.clock.advance(gw.config.idleTtlS * 1000 + touchIntervalMs(gw.config.idleTtlS))
      await gw.core.sessions.expireDue()
    }],
  ])('%s drops the cache and the next request is refused', async (_, end) => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const other = await gw.login('alice')
    const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id
    expect(gw.core.sessions.isCached(value(cookie))).toBe(true)
    await end(gw, cookie, sid, other)
    expect(gw.core.sessions.isCached(value(cookie))).toBe(false)
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
  })

  it('rotation: the old value stays usable only within grace, then the reuse ends the session and its cache', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ROTATE_EVERY: '300', GATEHOUSE_ROTATE_GRACE: '30' } })
    await gw.createUser('alice')
    const old = await gw.login('alice')
    gw.clock.advance(300_000)
    const fresh = cookiePair(await gw.request('/auth/session', { cookie: old }))!
    await gw.request('/auth/session', { cookie: fresh })
    expect(gw.core.sessions.isCached(value(fresh))).toBe(true)
    gw.clock.advance(31_000)
    expect((await gw.request('/auth/session', { cookie: old })).status).toBe(401)
    expect(gw.core.sessions.isCached(value(old))).toBe(false)
    expect(gw.core.sessions.isCached(value(fresh))).toBe(false)
    expect((await gw.request('/auth/session', { cookie: fresh })).status).toBe(401)
  })

  it('a forged cookie is never cached', async () => {
    const gw = await makeGateway()
    const forged = 'gatehouse=Fe26.2*1*abc*def*ghi*123*jkl*mno~2'
    await gw.request('/auth/session', { cookie: forged })
    expect(gw.core.sessions.isCached(value(forged))).toBe(false)
  })
})
