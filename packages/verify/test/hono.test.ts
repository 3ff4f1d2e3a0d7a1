import { Hono } from 'hono'
import { beforeAll, describe, expect, expectTypeOf, test, vi } from 'vitest'
import { createVerifier, GatehouseTokenError, TOKEN_ERROR_CODES as C, type GatehouseClaims, type GatehouseVerifier } from '../src/index.js'
import { gatehouseAuth, INSUFFICIENT_ROLE_CODE, type GatehouseAuthOptions, type GatehouseAuthVariables } from '../src/hono.js'
import { AUDIENCE, gatewayClaims, ISSUER, jwksOf, makeKey, mintLikeGateway, T0, type TestKey } from './helpers.js'

let key: TestKey
let verifier: GatehouseVerifier
beforeAll(async () => {
  key = await makeKey('EdDSA', 'ed-1')
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), now: () => T0 })
})

function appWith(options: Partial<GatehouseAuthOptions> = {}) {
  const handler = vi.fn((auth: GatehouseClaims) => ({ auth }))
  const app = new Hono<{ Variables: GatehouseAuthVariables }>()
  app.use('*', gatehouseAuth({ verifier, ...options }))
  app.get('/orders', (c) => c.json(handler(c.get('auth'))))
  return { app, handler }
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const body = (await response.json()) as Record<string, unknown>
  expect(body).toEqual({ type: 'about:blank', title: expect.any(String), status, code })
  return body
}

describe('gatehouseAuth', () => {
  test('a valid token reaches the handler with the claims in c.get("auth")', async () => {
    const { app, handler } = appWith()
    const claims = gatewayClaims()
    const response = await app.request('/orders', { headers: { authorization: `Bearer ${await mintLikeGateway(key, claims)}` } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ auth: claims })
    expect(handler).toHaveBeenCalledTimes(1)
  })

  test.each(['bearer', 'BEARER', 'BeArEr'])('the scheme is case-insensitive (%s)', async (scheme) => {
    const { app } = appWith()
    const response = await app.request('/orders', { headers: { authorization: `${scheme} ${await mintLikeGateway(key)}` } })
    expect(response.status).toBe(200)
  })

  test.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['Bearer without a token', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('%s -> 401 with a bare Bearer challenge', async (_, authorization) => {
    const { app, handler } = appWith()
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
    const response = await app.request('/orders', { headers })
    await expectProblem(response, 401, C.tokenMissing)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"')
    expect(handler).not.toHaveBeenCalled()
  })

  test.each<[string, () => Promise<string>, string]>([
    ['a garbage token', async () => 'not-a-jwt', C.tokenMalformed],
    ['an expired token', async () => mintLikeGateway(key, gatewayClaims({ exp: T0.getTime() / 1000 - 60 })), C.tokenExpired],
    ['a token for another service', async () => mintLikeGateway(key, gatewayClaims({ aud: 'billing' })), C.audienceInvalid],
    ['a token signed by a stranger', async () => mintLikeGateway(await makeKey('EdDSA', 'ed-1')), C.signatureInvalid],
  ])('%s -> 401 invalid_token, handler not called, token not echoed', async (_, makeToken, code) => {
    const { app, handler } = appWith()
    const token = await makeToken()
    const response = await app.request('/orders', { headers: { authorization: `Bearer ${token}` } })
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="invalid_token"')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = await expectProblem(response, 401, code)
    expect(JSON.stringify(body)).not.toContain(token)
    expect(handler).not.toHaveBeenCalled()
  })

  test('a missing role -> 403 insufficient_scope', async () => {
    const { app, handler } = appWith({ roles: ['admin'] })
    const token = await mintLikeGateway(key, gatewayClaims({ roles: ['reader'] }))
    const response = await app.request('/orders', { headers: { authorization: `Bearer ${token}` } })
    await expectProblem(response, 403, INSUFFICIENT_ROLE_CODE)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope"')
    expect(handler).not.toHaveBeenCalled()
  })

  test('every listed role is required', async () => {
    const { app, handler } = appWith({ roles: ['admin', 'auditor'] })
    const only = await mintLikeGateway(key, gatewayClaims({ roles: ['admin'] }))
    expect((await app.request('/orders', { headers: { authorization: `Bearer ${only}` } })).status).toBe(403)
    const both = await mintLikeGateway(key, gatewayClaims({ roles: ['auditor', 'admin'] }))
    expect((await app.request('/orders', { headers: { authorization: `Bearer ${both}` } })).status).toBe(200)
    expect(handler).toHaveBeenCalledTimes(1)
  })

  test('JWKS unavailable -> 503 problem, no challenge (the token may be fine)', async () => {
    const down = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'http://gatehouse.test/.well-known/jwks.json',
      fetch: async () => new Response('down', { status: 502 }),
      now: () => T0,
    })
    const app = new Hono<{ Variables: GatehouseAuthVariables }>()
    const handler = vi.fn(() => new Response('ok'))
    app.use('*', gatehouseAuth({ verifier: down }))
    app.get('/orders', handler)
    const response = await app.request('/orders', { headers: { authorization: `Bearer ${await mintLikeGateway(key)}` } })
    await expectProblem(response, 503, C.jwksUnavailable)
    expect(response.headers.get('www-authenticate')).toBeNull()
    expect(handler).not.toHaveBeenCalled()
  })

  test('a revoked session -> 401 ERR_TOKEN_REVOKED; a stale revocation feed -> 503 (the token may be fine)', async () => {
    // A feed that never answers: stale once maxStalenessS has passed on the injected clock.
    let now = T0.getTime()
    const strict = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: jwksOf(key),
      now: () => new Date(now),
      revocations: { url: 'http://gatehouse.test/.well-known/gatehouse/revocations', maxStalenessS: 5 },
      fetch: async () => new Response('down', { status: 502 }),
    })
    const app = new Hono<{ Variables: GatehouseAuthVariables }>()
    app.use('*', gatehouseAuth({ verifier: strict }))
    app.get('/orders', (c) => c.text('ok'))
    const token = await mintLikeGateway(key)
    expect((await app.request('/orders', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    now += 6_000
    const response = await app.request('/orders', { headers: { authorization: `Bearer ${token}` } })
    await expectProblem(response, 503, C.revocationsStale)
    strict.revocations!.close()
    const revoked: GatehouseVerifier = { verify: () => Promise.reject(new GatehouseTokenError(C.tokenRevoked, 'revoked')) }
    const app2 = new Hono()
    app2.use('*', gatehouseAuth({ verifier: revoked }))
    app2.get('/orders', (c) => c.text('ok'))
    const refused = await app2.request('/orders', { headers: { authorization: `Bearer ${token}` } })
    await expectProblem(refused, 401, C.tokenRevoked)
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token')
  })

  test('an unexpected verifier failure is not disguised as a 401', async () => {
    const bug = new Error('bug')
    const broken: GatehouseVerifier = { verify: () => Promise.reject(bug) }
    const onError = vi.fn((_: Error) => new Response('internal', { status: 500 }))
    const app = new Hono()
    app.onError(onError)
    app.use('*', gatehouseAuth({ verifier: broken }))
    app.get('/orders', (c) => c.text('ok'))
    expect((await app.request('/orders', { headers: { authorization: 'Bearer x.y.z' } })).status).toBe(500)
    expect(onError).toHaveBeenCalledWith(bug, expect.anything())
  })

  test('a GatehouseTokenError from a custom verifier maps to 401', async () => {
    const refusing: GatehouseVerifier = { verify: () => Promise.reject(new GatehouseTokenError(C.kidInvalid, 'no')) }
    const app = new Hono()
    app.use('*', gatehouseAuth({ verifier: refusing }))
    app.get('/orders', (c) => c.text('ok'))
    await expectProblem(await app.request('/orders', { headers: { authorization: 'Bearer x.y.z' } }), 401, C.kidInvalid)
  })

  test('a custom realm is announced', async () => {
    const { app } = appWith({ realm: 'orders-api' })
    const response = await app.request('/orders')
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="orders-api"')
  })

  test.each<[string, () => unknown]>([
    ['no options', () => undefined],
    ['no verifier', () => ({})],
    ['a verifier without verify', () => ({ verifier: {} })],
    ['roles not an array', () => ({ verifier, roles: 'admin' })],
    ['an empty role', () => ({ verifier, roles: [''] })],
    ['a realm with a quote', () => ({ verifier, realm: 'a"b' })],
    ['a realm with a newline', () => ({ verifier, realm: 'a\r\nX-Evil: 1' })],
  ])('%s throws a TypeError at build time', (_, options) => {
    expect(() => gatehouseAuth(options() as GatehouseAuthOptions)).toThrow(TypeError)
  })

  test('the exported variables type makes c.get("auth") typed', () => {
    const app = new Hono<{ Variables: GatehouseAuthVariables }>()
    app.get('/', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<GatehouseClaims>()
      return c.text('ok')
    })
  })
})
