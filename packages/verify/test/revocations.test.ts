import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createVerifier, GatehouseTokenError, type GatehouseVerifier } from '../src/index.js'
import { eventually, startFeedServer } from './feed-server.js'
import { AUDIENCE, expectRefusal, gatewayClaims, ISSUER, jwksOf, makeKey, mintLikeGateway, T0_SECONDS, testClock, type TestKey } from './helpers.js'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('EdDSA', 'ed-1')
})

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(options: { maxStalenessS?: number; onStale?: 'refuse' | 'accept'; pollIntervalS?: number } = {}) {
  const feed = await startFeedServer()
  const clock = testClock()
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), now: clock.now, revocations: { url: feed.url, ...options } })
  cleanups.push(() => feed.close(), () => verifier.revocations?.close())
  return { feed, clock, verifier }
}

const tokenFor = (sid: string) => mintLikeGateway(key, gatewayClaims({ sid }))
const accepts = async (v: GatehouseVerifier, sid: string) => (await v.verify(await tokenFor(sid))).sid === sid
const refusedWith = async (v: GatehouseVerifier, sid: string) =>
  v.verify(await tokenFor(sid)).then(
    () => undefined,
    (e: unknown) => (e instanceof GatehouseTokenError ? e.code : 'other'),
  )

describe('following the revocation feed', () => {
  test('refuses the tokens of sessions already revoked when it starts, accepts the others', async () => {
    const feed = await startFeedServer()
    feed.revoke('session-gone', T0_SECONDS + 360)
    const clock = testClock()
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), now: clock.now, revocations: { url: feed.url } })
    cleanups.push(() => feed.close(), () => verifier.revocations?.close())
    await verifier.revocations!.ready()
    await expectRefusal(verifier.verify(await tokenFor('session-gone')), 'ERR_TOKEN_REVOKED')
    expect(await accepts(verifier, 'session-live')).toBe(true)
    expect(verifier.revocations!.status()).toMatchObject({ synced: true, stale: false, mode: 'stream', entries: 1 })
  })

  test('hears of a revocation pushed on the stream and refuses at once, though the token has not expired', async () => {
    const { feed, verifier } = await setup()
    await verifier.revocations!.ready()
    expect(await accepts(verifier, 'session-7')).toBe(true)
    feed.revoke('session-7', T0_SECONDS + 360)
    await eventually(async () => (await refusedWith(verifier, 'session-7')) === 'ERR_TOKEN_REVOKED')
  })

  test('reconnects after the stream is cut, resuming from its cursor, and misses nothing revoked meanwhile', async () => {
    const { feed, verifier } = await setup()
    await verifier.revocations!.ready()
    feed.revoke('a', T0_SECONDS + 360)
    await eventually(() => verifier.revocations!.status().cursor === '1')
    feed.setMode('down')
    feed.dropStreams()
    feed.revoke('b', T0_SECONDS + 360)
    feed.setMode('ok')
    await eventually(async () => (await refusedWith(verifier, 'b')) === 'ERR_TOKEN_REVOKED')
    expect(await refusedWith(verifier, 'a')).toBe('ERR_TOKEN_REVOKED')
    await eventually(() => feed.openStreams === 1)
    // Every reconnection named the cursor it had; none started over from 0.
    const later = feed.requests.slice(1)
    expect(later.length).toBeGreaterThan(0)
    expect(later.every((r) => r.after !== '0')).toBe(true)
  })

  test('falls back to polling the JSON feed when the stream cannot be had', async () => {
    const { feed, verifier } = await setup({ pollIntervalS: 0.05 })
    feed.setMode('json-only')
    await verifier.revocations!.ready()
    feed.revoke('polled', T0_SECONDS + 360)
    await eventually(async () => (await refusedWith(verifier, 'polled')) === 'ERR_TOKEN_REVOKED')
    expect(verifier.revocations!.status().mode).toBe('poll')
    expect(feed.requests.some((r) => r.accept === 'application/json')).toBe(true)
  })

  test('strict by default: refuses every token once the feed has been unreachable beyond maxStalenessS', async () => {
    const { feed, clock, verifier } = await setup()
    await verifier.revocations!.ready()
    feed.revoke('known', T0_SECONDS + 3600)
    await eventually(() => verifier.revocations!.status().entries === 1)
    feed.setMode('down')
    feed.dropStreams()
    clock.advance(29)
    expect(await accepts(verifier, 'live')).toBe(true)
    clock.advance(2)
    expect(verifier.revocations!.status()).toMatchObject({ stale: true })
    expect(verifier.revocations!.status().stalenessMs).toBeGreaterThan(30_000)
    await expectRefusal(verifier.verify(await tokenFor('live')), 'ERR_REVOCATIONS_STALE')
    await expectRefusal(verifier.verify(await tokenFor('known')), 'ERR_TOKEN_REVOKED')
    // Back: the next contact makes it current again.
    feed.setMode('ok')
    await eventually(async () => (await refusedWith(verifier, 'live')) === undefined)
  })

  test("onStale: 'accept' keeps accepting while stale, but still refuses what it knows is revoked", async () => {
    const { feed, clock, verifier } = await setup({ onStale: 'accept', maxStalenessS: 5 })
    await verifier.revocations!.ready()
    feed.revoke('known', T0_SECONDS + 3600)
    await eventually(() => verifier.revocations!.status().entries === 1)
    feed.setMode('down')
    feed.dropStreams()
    clock.advance(60)
    expect(verifier.revocations!.status().stale).toBe(true)
    expect(await accepts(verifier, 'live')).toBe(true)
    await expectRefusal(verifier.verify(await tokenFor('known')), 'ERR_TOKEN_REVOKED')
  })

  test('a heartbeat keeps a quiet stream current; entries leave memory once past their exp', async () => {
    const { feed, clock, verifier } = await setup()
    feed.revoke('old', T0_SECONDS + 10)
    await verifier.revocations!.ready()
    expect(verifier.revocations!.status().entries).toBe(1)
    clock.advance(25)
    feed.heartbeat()
    await eventually(() => verifier.revocations!.status().stalenessMs === 0)
    expect(verifier.revocations!.status().entries).toBe(0)
  })

  test('never follows a redirect from the feed URL', async () => {
    const { createServer } = await import('node:http')
    const feed = await startFeedServer()
    feed.revoke('x', T0_SECONDS + 360)
    let hits = 0
    const redirector = createServer((_req, res) => {
      hits += 1
      res.writeHead(302, { location: feed.url }).end()
    })
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r))
    const port = (redirector.address() as { port: number }).port
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), now: testClock().now, revocations: { url: `http://127.0.0.1:${port}/feed` } })
    cleanups.push(() => feed.close(), () => new Promise((r) => redirector.close(r)), () => redirector.closeAllConnections(), () => verifier.revocations?.close())
    await eventually(() => hits >= 2)
    expect(verifier.revocations!.status().synced).toBe(false)
    expect(feed.requests).toHaveLength(0)
  })
})
