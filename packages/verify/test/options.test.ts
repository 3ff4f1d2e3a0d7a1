import { beforeAll, describe, expect, test } from 'vitest'
import { createVerifier, type VerifierOptions } from '../src/index.js'
import { AUDIENCE, ISSUER, jwksOf, makeKey, mintLikeGateway, T0, type TestKey } from './helpers.js'

let ed: TestKey
beforeAll(async () => {
  ed = await makeKey('EdDSA', 'ed-1')
})

const base = () => ({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(ed) })

describe('createVerifier options are validated once, at construction', () => {
  test.each<[string, Record<string, unknown>]>([
    ['no issuer', { issuer: undefined }],
    ['empty issuer', { issuer: '' }],
    ['no audience', { audience: undefined }],
    ['array audience', { audience: ['orders'] }],
    ['HS256 in algorithms', { algorithms: ['EdDSA', 'HS256'] }],
    ['none in algorithms', { algorithms: ['none'] }],
    ['empty algorithms', { algorithms: [] }],
    ['algorithms not an array', { algorithms: 'EdDSA' }],
    ['clock tolerance above 60', { clockToleranceSeconds: 61 }],
    ['negative clock tolerance', { clockToleranceSeconds: -1 }],
    ['infinite clock tolerance', { clockToleranceSeconds: Number.POSITIVE_INFINITY }],
    ['string clock tolerance', { clockToleranceSeconds: '5' }],
    ['zero maxTokenLength', { maxTokenLength: 0 }],
    ['fractional maxTokenLength', { maxTokenLength: 10.5 }],
    ['now not a function', { now: new Date() }],
    ['fetch not a function', { fetch: 'fetch' }],
    ['zero cache max age', { jwksCacheMaxAgeSeconds: 0 }],
    ['negative cooldown', { jwksCooldownSeconds: -1 }],
    ['both jwks and jwksUrl', { jwksUrl: 'http://localhost:8080/.well-known/jwks.json' }],
    ['neither jwks nor jwksUrl', { jwks: undefined }],
    ['jwks without keys', { jwks: {} }],
    ['jwks key that is not a JWK', { jwks: { keys: ['x'] } }],
    ['a private key in jwks', { jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA', d: 'AA', kid: 'k' }] } }],
    ['a symmetric key in jwks', { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k' }] } }],
    ['an unknown option (typo)', { algorithm: ['HS256'] }],
    ['a relative jwksUrl', { jwks: undefined, jwksUrl: '/.well-known/jwks.json' }],
    ['a non-http jwksUrl', { jwks: undefined, jwksUrl: 'file:///etc/jwks.json' }],
    ['revocations without a url', { revocations: {} }],
    ['a relative revocations url', { revocations: { url: '/.well-known/gatehouse/revocations' } }],
    ['an unknown revocations option', { revocations: { url: 'http://localhost:8080/x', maxStaleness: 5 } }],
    ['a zero maxStalenessS', { revocations: { url: 'http://localhost:8080/x', maxStalenessS: 0 } }],
    ['an unknown onStale', { revocations: { url: 'http://localhost:8080/x', onStale: 'ignore' } }],
  ])('%s throws a TypeError', (_, overrides) => {
    expect(() => createVerifier({ ...base(), ...overrides } as unknown as VerifierOptions)).toThrow(TypeError)
  })

  test.each([undefined, null, 'options'])('options %j throws a TypeError', (options) => {
    expect(() => createVerifier(options as unknown as VerifierOptions)).toThrow(TypeError)
  })

  test('valid options, including the bounds, are accepted', () => {
    expect(() => createVerifier({ ...base(), clockToleranceSeconds: 60, algorithms: ['RS256'] })).not.toThrow()
    expect(() => createVerifier({ ...base(), clockToleranceSeconds: 0, jwksCooldownSeconds: 0 })).not.toThrow()
    expect(() =>
      createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: new URL('https://gatehouse.internal/.well-known/jwks.json') }),
    ).not.toThrow()
  })

  test('the jwks object is copied: mutating it afterwards does not change the trusted keys', async () => {
    const jwks = jwksOf(ed)
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, now: () => T0 })
    const token = await mintLikeGateway(ed)
    jwks.keys.length = 0
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'user-42' })
  })
})
