import { describe, expect, it } from 'vitest'
import { touchIntervalMs } from '../src/session/session-manager.js'
import { cookiePair, makeGateway } from './helpers.js'

/** A tab calling the gateway every `everyS` seconds for `forS` seconds; returns its cookie. */
async function activeTab(idleTtlS: number, gaps: number[]) {
  const gw = await makeGateway({ env: { GATEHOUSE_IDLE_TTL: String(idleTtlS), GATEHOUSE_ABSOLUTE_TTL: String(idleTtlS * 100) } })
  await gw.createUser('alice')
  let cookie = await gw.login('alice')
  const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id as string
  for (const gap of gaps) {
    gw.clock.advance(gap)
    const res = await gw.request('/auth/session', { cookie })
    expect(res.status, `after ${gap} ms`).toBe(200)
    cookie = cookiePair(res) ?? cookie
  }
  return { gw, cookie, sid }
}

describe('the idle deadline: never earlier than GATEHOUSE_IDLE_TTL after the last request', () => {
  it.each([45, 60, 600, 1800])('IDLE_TTL=%i: a tab calling every 10 s stays signed in, and ends only idle-TTL after its last call', async (idleTtlS) => {
    const { gw, cookie, sid } = await activeTab(idleTtlS, Array.from({ length: 30 }, () => 10_000))
    const last = gw.clock.now()
    const row = await gw.store.findSession(sid)
    expect(row!.idleExpiresAt).toBeGreaterThanOrEqual(last + idleTtlS * 1000)
    // The bound on the other side: at most one touch interval, itself at most a tenth of the TTL.
    expect(row!.idleExpiresAt).toBeLessThanOrEqual(last + idleTtlS * 1000 + touchIntervalMs(idleTtlS))
    expect(touchIntervalMs(idleTtlS)).toBeLessThanOrEqual(idleTtlS * 100)

    // Prune does not end it a millisecond early either.
    gw.clock.advance(last + idleTtlS * 1000 - 1 - gw.clock.now())
    expect(await gw.core.sessions.expireDue()).toBe(0)
    gw.clock.advance(row!.idleExpiresAt - gw.clock.now())
    expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
  })

  it('holds for irregular gaps too (a seeded random walk of requests, each gap shorter than the TTL)', async () => {
    const idleTtlS = 45
    let seed = 7
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const gaps = Array.from({ length: 60 }, () => 1 + Math.floor(random() * (idleTtlS * 1000 - 2)))
    const { gw, sid } = await activeTab(idleTtlS, gaps)
    expect((await gw.store.findSession(sid))!.idleExpiresAt).toBeGreaterThanOrEqual(gw.clock.now() + idleTtlS * 1000)
  })

  it('GET /auth/session tells the true deadline: the session ends exactly then, not before', async () => {
    const { gw, cookie } = await activeTab(45, [10_000, 10_000])
    const res = await gw.request('/auth/session', { cookie })
    const expiresAt = Date.parse((await res.json()).session.expiresAt)
    const next = cookiePair(res) ?? cookie
    gw.clock.advance(expiresAt - 1 - gw.clock.now())
    expect(await gw.core.sessions.expireDue()).toBe(0)
    gw.clock.advance(expiresAt - gw.clock.now())
    expect((await gw.request('/auth/session', { cookie: next })).status).toBe(401)
  })
})
