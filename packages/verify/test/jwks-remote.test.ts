import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JSONWebKeySet } from 'jose'
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { createVerifier, TOKEN_ERROR_CODES as C, type VerifierOptions } from '../src/index.js'
import { AUDIENCE, expectRefusal, ISSUER, jwksOf, makeKey, mintLikeGateway, testClock, type TestKey } from './helpers.js'

const JWKS_URL = 'http://gatehouse.test/.well-known/jwks.json'

let k1: TestKey
let k2: TestKey
let stranger: TestKey
beforeAll(async () => {
  k1 = await makeKey('EdDSA', 'key-1')
  k2 = await makeKey('ES256', 'key-2')
  stranger = await makeKey('EdDSA', 'stranger')
})

/** A fake gateway JWKS endpoint; `serve` swaps what it answers (key rotation, outage). */
function fakeGateway(initial: JSONWebKeySet | (() => Response | Promise<Response>)) {
  let answer = initial
  const fetch = vi.fn<typeof globalThis.fetch>(async () => {
    if (typeof answer === 'function') return answer()
    return new Response(JSON.stringify(answer), {
      status: 200,
      headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' },
    })
  })
  return {
    fetch,
    serve(next: typeof answer) {
      answer = next
    },
  }
}

function remoteVerifier(fetch: typeof globalThis.fetch, now: () => Date, overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: JWKS_URL, fetch, now, ...overrides } as VerifierOptions)
}

describe('remote JWKS', () => {
  test('is fetched once, from the configured URL, and cached', async () => {
    const gateway = fakeGateway(jwksOf(k1, k2))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    for (let i = 0; i < 10; i++) {
      await verifier.verify(await mintLikeGateway(i % 2 === 0 ? k1 : k2))
      clock.advance(10)
    }
    expect(gateway.fetch).toHaveBeenCalledTimes(1)
    const [url, init] = gateway.fetch.mock.calls[0] ?? []
    expect(url).toBe(JWKS_URL)
    expect(init).toMatchObject({ method: 'GET', redirect: 'manual' })
  })

  test('concurrent first requests share one fetch', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const verifier = remoteVerifier(gateway.fetch, testClock().now)
    const token = await mintLikeGateway(k1)
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)))
    expect(gateway.fetch).toHaveBeenCalledTimes(1)
  })

  test('is refetched once the cache max age has passed', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now, { jwksCacheMaxAgeSeconds: 100 })
    await verifier.verify(await mintLikeGateway(k1))
    clock.advance(99)
    await verifier.verify(await mintLikeGateway(k1))
    expect(gateway.fetch).toHaveBeenCalledTimes(1)
    clock.advance(1)
    await verifier.verify(await mintLikeGateway(k1))
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
  })

  test('an unknown kid triggers one refetch, which picks up a rotated key', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    await verifier.verify(await mintLikeGateway(k1))
    expect(gateway.fetch).toHaveBeenCalledTimes(1)

    gateway.serve(jwksOf(k1, k2)) // the gateway rotates in key-2
    clock.advance(31) // past the 30 s cooldown, well within the 300 s cache
    const claims = await verifier.verify(await mintLikeGateway(k2))
    expect(claims.sub).toBe('user-42')
    expect(gateway.fetch).toHaveBeenCalledTimes(2)

    await verifier.verify(await mintLikeGateway(k2)) // now cached
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
  })

  test('within the cooldown an unknown kid is refused without fetching', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    await verifier.verify(await mintLikeGateway(k1))
    clock.advance(29)
    await expectRefusal(verifier.verify(await mintLikeGateway(stranger)), C.keyNotFound)
    expect(gateway.fetch).toHaveBeenCalledTimes(1)
  })

  test('a flood of 100 bad-kid tokens causes at most one extra fetch', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    await verifier.verify(await mintLikeGateway(k1))
    clock.advance(31) // cooldown over: the flood is allowed exactly one refetch

    const bogus = await Promise.all(
      Array.from({ length: 100 }, (_, i) => makeKey('EdDSA', `bogus-${i}`).then((key) => mintLikeGateway(key))),
    )
    const concurrent = await Promise.allSettled(bogus.slice(0, 50).map((token) => verifier.verify(token)))
    for (const token of bogus.slice(50)) await expectRefusal(verifier.verify(token), C.keyNotFound)

    for (const result of concurrent) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: C.keyNotFound })
    }
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
    // Good tokens keep working throughout.
    await expect(verifier.verify(await mintLikeGateway(k1))).resolves.toBeDefined()
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
  })

  test.each<[string, () => Response | Promise<Response>]>([
    ['a network error', () => Promise.reject(new TypeError('fetch failed'))],
    ['HTTP 500', () => new Response('oops', { status: 500 })],
    ['a redirect', () => new Response(null, { status: 302, headers: { location: 'http://evil.test/jwks.json' } })],
    ['invalid JSON', () => new Response('{"keys": [', { status: 200 })],
    ['JSON without keys', () => new Response('{"kty":"OKP"}', { status: 200 })],
  ])('%s from the JWKS endpoint -> ERR_JWKS_UNAVAILABLE', async (_, answer) => {
    const gateway = fakeGateway(answer)
    const verifier = remoteVerifier(gateway.fetch, testClock().now)
    await expectRefusal(verifier.verify(await mintLikeGateway(k1)), C.jwksUnavailable)
  })

  test('after a failed fetch, retries wait for the cooldown, then recover', async () => {
    const gateway = fakeGateway(() => Promise.reject(new TypeError('fetch failed')))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    const token = await mintLikeGateway(k1)
    await expectRefusal(verifier.verify(token), C.jwksUnavailable)
    await expectRefusal(verifier.verify(token), C.jwksUnavailable)
    expect(gateway.fetch).toHaveBeenCalledTimes(1)

    gateway.serve(jwksOf(k1))
    clock.advance(30)
    await expect(verifier.verify(token)).resolves.toBeDefined()
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
  })

  test('while the gateway is down, the last good key set keeps being used', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    await verifier.verify(await mintLikeGateway(k1))
    gateway.serve(() => new Response('down', { status: 503 }))
    clock.advance(301) // cache expired: a refresh is attempted and fails
    await expect(verifier.verify(await mintLikeGateway(k1))).resolves.toBeDefined()
    expect(gateway.fetch).toHaveBeenCalledTimes(2)
  })

  test('an unknown kid whose refetch fails -> ERR_JWKS_UNAVAILABLE (the token may be fine)', async () => {
    const gateway = fakeGateway(jwksOf(k1))
    const clock = testClock()
    const verifier = remoteVerifier(gateway.fetch, clock.now)
    await verifier.verify(await mintLikeGateway(k1))
    gateway.serve(() => Promise.reject(new TypeError('fetch failed')))
    clock.advance(31)
    await expectRefusal(verifier.verify(await mintLikeGateway(k2)), C.jwksUnavailable)
  })
})

describe('remote JWKS over real HTTP (127.0.0.1, port 0)', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
  })

  test('the default fetch path works against a real server', async () => {
    let hits = 0
    server = createServer((req, res) => {
      hits += 1
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' })
      res.end(JSON.stringify(jwksOf(k1)))
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      now: testClock().now,
    })
    await expect(verifier.verify(await mintLikeGateway(k1))).resolves.toMatchObject({ sub: 'user-42' })
    await expect(verifier.verify(await mintLikeGateway(k1))).resolves.toBeDefined()
    expect(hits).toBe(1)
  })
})
