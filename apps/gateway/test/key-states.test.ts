import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { cliIo, makeGateway, tempDir, type TestGateway } from './helpers.js'
import { kidsOf, servedJwks } from './token-helpers.js'

interface KeyView {
  kid: string
  state: 'next' | 'signing' | 'retiring'
  createdAt: string
  signsFrom: string
  signsUntil: string | null
  publishedUntil: string | null
}

async function admin(gw: TestGateway) {
  await gw.createUser('root', { roles: ['admin'] })
  return gw.login('root')
}
const keysOf = async (gw: TestGateway, cookie: string) => ((await (await gw.request('/admin/keys', { cookie })).json()) as { keys: KeyView[] }).keys
const at = (ms: number) => new Date(ms).toISOString()

describe('GET /admin/keys: every published key with its state and times', () => {
  it('one signing key at first; after a rotation the new one is "next" until it signs 40 s later, the old one "retiring" after', async () => {
    const gw = await makeGateway()
    const cookie = await admin(gw)
    const [first] = await keysOf(gw, cookie)
    expect(first).toMatchObject({ state: 'signing', signsUntil: null, publishedUntil: null })

    gw.clock.advance(1_000)
    const t0 = gw.clock.now()
    const rotated = await (await gw.request('/admin/keys/rotate', { method: 'POST', cookie })).json()
    expect(rotated.signsFrom).toBe(at(t0 + 40_000))
    let keys = await keysOf(gw, cookie)
    expect(keys.map((k) => [k.kid, k.state])).toEqual([[rotated.kid, 'next'], [first!.kid, 'signing']])
    expect(keys[0]).toMatchObject({ createdAt: at(t0), signsFrom: at(t0 + 40_000), publishedUntil: null })
    expect(keys[1]).toMatchObject({ signsUntil: at(t0 + 40_000) })
    expect(Date.parse(keys[1]!.publishedUntil!)).toBeGreaterThan(t0 + 40_000 + gw.config.accessTtlS * 1000)
    // The list is the JWKS: the same keys.
    expect(keys.map((k) => k.kid).sort()).toEqual(kidsOf(await servedJwks(gw)).sort())

    gw.clock.advance(40_000)
    keys = await keysOf(gw, cookie)
    expect(keys.map((k) => k.state)).toEqual(['signing', 'retiring'])

    // Once its tokens have all expired, the retiring key leaves the list and the JWKS together.
    gw.clock.advance(Date.parse(keys[1]!.publishedUntil!) - gw.clock.now())
    expect((await keysOf(gw, cookie)).map((k) => k.kid)).toEqual([rotated.kid])
  })

  it('an emergency rotation names every key it dropped, and the new key signs at once', async () => {
    const gw = await makeGateway()
    const cookie = await admin(gw)
    await gw.request('/admin/keys/rotate', { method: 'POST', cookie })
    const before = (await keysOf(gw, cookie)).map((k) => k.kid)
    expect(before).toHaveLength(2)
    const res = await (await gw.request('/admin/keys/rotate', { method: 'POST', cookie, body: { emergency: true } })).json()
    expect([...res.dropped].sort()).toEqual([...before].sort())
    expect(res.signsFrom).toBe(at(gw.clock.now()))
    expect(await keysOf(gw, cookie)).toEqual([expect.objectContaining({ kid: res.kid, state: 'signing' })])
  })

  it('is for admins only', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    expect((await gw.request('/admin/keys', { cookie: await gw.login('alice') })).status).toBe(403)
    expect((await gw.request('/admin/keys')).status).toBe(401)
  })
})

describe('pnpm gatehouse keys rotate says what happens', () => {
  it('normal: published now, signs 40 s later; emergency: signs now and lists every dropped key', async () => {
    const dir = tempDir()
    const gw = await makeGateway({ dir })
    const first = kidsOf(await servedJwks(gw))[0]!
    const normal = cliIo(dir)
    expect(await runCli(['keys', 'rotate'], normal.io, gw.clock)).toBe(0)
    expect(normal.out.join()).toMatch(new RegExp(`is published now and signs from ${at(gw.clock.now() + 40_000).replace(/\./g, '\\.')} \\(in 40 s.*until then ${first} signs`))
    expect(normal.out.join()).not.toContain('signs from now on')
    gw.core.keys.refresh()
    const published = kidsOf(await servedJwks(gw))
    expect(published).toHaveLength(2)

    const emergency = cliIo(dir)
    expect(await runCli(['keys', 'rotate', '--emergency'], emergency.io, gw.clock)).toBe(0)
    const line = emergency.out.join()
    expect(line).toMatch(/signs now; dropped from the JWKS at once: /)
    for (const kid of published) expect(line).toContain(kid)
  })
})
