import { describe, expect, it } from 'vitest'
import { sealData } from 'iron-session'
import { COOKIE_SECRET, cookiePair, makeGateway, type TestGateway } from './helpers.js'

const value = (pair: string) => pair.slice(pair.indexOf('=') + 1)
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

async function loggedIn() {
  const gw = await makeGateway()
  await gw.createUser('alice')
  return { gw, pair: await gw.login('alice') }
}

/** A login whose MAC has a `-` or `_`, so the standard alphabet spells it differently. */
async function loginWithUrlSafeMac(gw: TestGateway): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const pair = await gw.login('alice')
    const mac = value(pair).split('*')[7]!
    if (/[-_]/.test(mac.slice(0, -2))) return pair
  }
  throw new Error('no MAC with - or _ in 20 logins')
}

describe('the session cookie is only ever a cookie of its own name', () => {
  it.each([
    ['theme=dark gatehouse=%s'],
    ['theme=dark, gatehouse=%s'],
    ['theme=dark,gatehouse=%s'],
    ['theme="dark gatehouse=%s"'],
  ])('%s does not open the session', async (template) => {
    const { gw, pair } = await loggedIn()
    const res = await gw.request('/auth/session', { cookie: template.replace('%s', value(pair)) })
    expect(res.status).toBe(401)
    expect(gw.core.sessions.isCached(value(pair))).toBe(false)
  })

  it('a value planted inside another cookie cannot log the victim out', async () => {
    const { gw, pair } = await loggedIn()
    for (const planted of ['theme=dark gatehouse=garbage', 'theme=dark, gatehouse=Fe26.2*1*x~2']) {
      const res = await gw.request('/auth/session', { cookie: `${planted}; ${pair}` })
      expect(res.status).toBe(200)
      expect(res.headers.getSetCookie()).toEqual([])
    }
  })
})

describe('a cookie value is exactly what the gateway issued, or nothing', () => {
  const variants: [string, (v: string) => string][] = [
    ['text appended after the seal', (v) => `${v}garbage`],
    ['a character appended after the version', (v) => `${v}2`],
    ['another version marker', (v) => v.replace(/~2$/, '~3')],
    ['the version marker repeated', (v) => `${v}~2`],
    ['no version marker', (v) => v.replace(/~2$/, '')],
    ['a MAC with other padding bits', (v) => {
      const at = v.length - 3
      const last = B64URL.indexOf(v[at]!)
      return v.slice(0, at) + B64URL[last ^ 1] + v.slice(at + 1)
    }],
    ['a MAC with = padding', (v) => v.replace(/~2$/, '=~2')],
    ['a MAC with == padding', (v) => v.replace(/~2$/, '==~2')],
    ['white space inside', (v) => v.replace('*', ' *')],
    ['a salt put into the keyed form', (v) => v.replace('**', `*${'a'.repeat(64)}*`)],
    ['both salts put into the keyed form', (v) => v.replaceAll('**', `*${'a'.repeat(64)}*`)],
    ['another secret id', (v) => v.replace(/^Fe26\.2\*1\*/, 'Fe26.2*2*')],
  ]

  it.each(variants)('%s: refused, the cookie cleared, nothing cached', async (_, change) => {
    const { gw, pair } = await loggedIn()
    const original = value(pair)
    const variant = change(original)
    expect(variant).not.toBe(original)
    const res = await gw.request('/auth/session', { cookie: `gatehouse=${variant}` })
    expect(res.status).toBe(401)
    expect(gw.core.sessions.isCached(variant)).toBe(false)
    // The real cookie still works: a variant is nobody's session, not a reason to end one.
    expect((await gw.request('/auth/session', { cookie: pair })).status).toBe(200)
  })

  it('the standard base64 alphabet in the MAC is refused', async () => {
    const { gw } = await loggedIn()
    const pair = await loginWithUrlSafeMac(gw)
    const parts = value(pair).split('*')
    parts[7] = parts[7]!.replaceAll('-', '+').replaceAll('_', '/')
    const variant = parts.join('*')
    expect((await gw.request('/auth/session', { cookie: `gatehouse=${variant}` })).status).toBe(401)
    expect(gw.core.sessions.isCached(variant)).toBe(false)
  })

  it('a flood of variants takes no cache entry', async () => {
    const gw = await makeGateway({ env: {} })
    await gw.createUser('alice')
    const pairs = await Promise.all([gw.login('alice'), gw.login('alice')])
    for (const p of pairs) expect((await gw.request('/auth/session', { cookie: p })).status).toBe(200)
    const original = value(pairs[0])
    const variants = Array.from({ length: 300 }, (_, i) => `${original}${'x'.repeat(i % 7)}${i}`)
    const responses = await Promise.all(variants.map((v) => gw.request('/auth/session', { cookie: `gatehouse=${v}` })))
    expect(responses.every((r) => r.status === 401)).toBe(true)
    expect(variants.filter((v) => gw.core.sessions.isCached(v))).toEqual([])
    for (const p of pairs) expect(gw.core.sessions.isCached(value(p))).toBe(true)
  })
})

describe('a cookie in the salted form earlier versions sealed', () => {
  /** What the gateway sealed before keyed seals: iron-session with the secret as a password (a salt per key, per seal). */
  async function saltedCookie(gw: TestGateway): Promise<string> {
    const keyed = value(await gw.login('alice'))
    const payload = await gw.core.sessions.cookie.open(keyed)
    const salted = await sealData(payload!.payload, { password: { 1: COOKIE_SECRET }, ttl: gw.config.absoluteTtlS })
    expect(salted).toMatch(/^Fe26\.2\*1\*[0-9a-f]{64}\*/)
    return salted
  }

  it('still opens, and comes back re-sealed in the keyed form', async () => {
    const { gw } = await loggedIn()
    const salted = await saltedCookie(gw)
    const res = await gw.request('/auth/session', { cookie: `gatehouse=${salted}` })
    expect(res.status).toBe(200)
    const resealed = cookiePair(res)!
    expect(value(resealed)).toMatch(/^Fe26\.2\*1\*\*[^*]+\*[^*]+\*[0-9]+\*\*[^*]+~2$/)
    expect((await gw.request('/auth/session', { cookie: resealed })).status).toBe(200)
    // The same credential: the salted copy is not a stolen-cookie replay, and still works.
    expect((await gw.request('/auth/session', { cookie: `gatehouse=${salted}` })).status).toBe(200)
  })

  it.each([
    ['an upper-case salt', (v: string) => v.replace(/\*([0-9a-f]{64})\*/, (_, s: string) => `*${s.toUpperCase()}*`)],
    ['its salts taken out', (v: string) => v.replace(/\*[0-9a-f]{64}\*/g, '**')],
    ['another salt', (v: string) => v.replace(/\*[0-9a-f]{64}\*/, `*${'b'.repeat(64)}*`)],
  ])('%s: refused', async (_, change) => {
    const { gw } = await loggedIn()
    const variant = change(await saltedCookie(gw))
    expect((await gw.request('/auth/session', { cookie: `gatehouse=${variant}` })).status).toBe(401)
    expect(gw.core.sessions.isCached(variant)).toBe(false)
  })

  it('sealed with a password that is not the secret: refused', async () => {
    const { gw } = await loggedIn()
    const payload = (await gw.core.sessions.cookie.open(value(await gw.login('alice'))))!.payload
    const forged = await sealData(payload, { password: { 1: 'another-secret-0123456789-abcdefghijklmn' }, ttl: 3600 })
    expect((await gw.request('/auth/session', { cookie: `gatehouse=${forged}` })).status).toBe(401)
  })
})
