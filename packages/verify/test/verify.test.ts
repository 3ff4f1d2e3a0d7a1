import { base64url, exportJWK, exportSPKI } from 'jose'
import { beforeAll, describe, expect, expectTypeOf, test, vi } from 'vitest'
import { createVerifier, GatehouseTokenError, TOKEN_ERROR_CODES, type GatehouseClaims, type VerifierOptions } from '../src/index.js'
import {
  AUDIENCE,
  expectRefusal,
  gatewayClaims,
  headerFor,
  ISSUER,
  jwksOf,
  makeKey,
  mintLikeGateway,
  signRaw,
  T0,
  T0_SECONDS,
  testClock,
  type TestAlg,
  type TestKey,
} from './helpers.js'

const C = TOKEN_ERROR_CODES
let keys: Record<TestAlg, TestKey>
let ed: TestKey
let attacker: TestKey

beforeAll(async () => {
  keys = {
    EdDSA: await makeKey('EdDSA', 'ed-1'),
    ES256: await makeKey('ES256', 'es-1'),
    RS256: await makeKey('RS256', 'rs-1'),
  }
  ed = keys.EdDSA
  attacker = await makeKey('EdDSA', 'attacker-1')
})

function verifier(overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: jwksOf(keys.EdDSA, keys.ES256, keys.RS256),
    now: () => T0,
    ...overrides,
  } as VerifierOptions)
}

/** A correctly signed token that differs from a valid one only by the given header/claims changes. */
function craft(headerOverrides: Record<string, unknown> = {}, claims: Record<string, unknown> = gatewayClaims(), key = ed) {
  return signRaw(headerFor(key, headerOverrides), claims, { key })
}

describe('accepts gateway tokens', () => {
  test.each(['EdDSA', 'ES256', 'RS256'] as const)('%s token verifies and returns typed claims', async (alg) => {
    const claims = gatewayClaims({ roles: ['reader', 'admin'] })
    const result = await verifier().verify(await mintLikeGateway(keys[alg], claims))
    expect(result).toEqual(claims)
    expect(Object.isFrozen(result)).toBe(true)
    expectTypeOf(result).toEqualTypeOf<GatehouseClaims>()
    expectTypeOf(result.sub).toEqualTypeOf<string>()
    expectTypeOf(result.roles).toEqualTypeOf<readonly string[]>()
    expectTypeOf(result.exp).toEqualTypeOf<number>()
  })

  test('the raw crafting helper produces accepted tokens, so each attack below fails for its one defect only', async () => {
    await expect(verifier().verify(await craft())).resolves.toMatchObject({ sub: 'user-42' })
  })

  test.each(['application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('typ %s is accepted (RFC 9068)', async (typ) => {
    await expect(verifier().verify(await craft({ typ }))).resolves.toMatchObject({ sub: 'user-42' })
  })

  test('aud as an array containing this audience is accepted', async () => {
    const token = await craft({}, gatewayClaims({ aud: ['billing', AUDIENCE] }))
    await expect(verifier().verify(token)).resolves.toMatchObject({ aud: ['billing', AUDIENCE] })
  })

  test('roles default to an empty array', async () => {
    const claims = gatewayClaims()
    delete claims.roles
    await expect(verifier().verify(await craft({}, claims))).resolves.toMatchObject({ roles: [] })
  })

  test('the algorithms option narrows what is accepted', async () => {
    const onlyEd = verifier({ algorithms: ['EdDSA'] })
    await expect(onlyEd.verify(await mintLikeGateway(ed))).resolves.toBeDefined()
    await expectRefusal(onlyEd.verify(await mintLikeGateway(keys.ES256)), C.algNotAllowed)
  })
})

describe('attacks', () => {
  test.each(['none', 'None', 'NONE'])('alg: %s is refused', async (alg) => {
    const token = await signRaw(headerFor(ed, { alg }), gatewayClaims(), { unsigned: true })
    await expectRefusal(verifier().verify(token), C.algNotAllowed)
  })

  test.each([
    ['the SPKI PEM', async (key: TestKey) => new TextEncoder().encode(await exportSPKI(key.publicKey))],
    ['the JWK JSON', async (key: TestKey) => new TextEncoder().encode(JSON.stringify(await exportJWK(key.publicKey)))],
  ])('HS256 with %s of the real public key as HMAC secret (alg confusion) is refused', async (_, secretOf) => {
    for (const key of Object.values(keys)) {
      const token = await signRaw(headerFor(key, { alg: 'HS256' }), gatewayClaims(), { hmacSecret: await secretOf(key) })
      await expectRefusal(verifier().verify(token), C.algNotAllowed)
    }
  })

  test('an embedded jwk of the attacker key that really signed the token is refused, never used', async () => {
    const fetchSpy = vi.fn<typeof fetch>()
    for (const kid of [attacker.kid, ed.kid]) {
      const token = await signRaw(headerFor(attacker, { kid, jwk: attacker.publicJwk }), gatewayClaims(), { key: attacker })
      await expectRefusal(verifier({ fetch: fetchSpy }).verify(token), C.embeddedKey)
    }
    expect(fetchSpy).not.toHaveBeenCalled()
  })

  test.each([
    ['jku', 'https://attacker.example/jwks.json'],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIBszCCAVmgAwIBAgIUQ']],
    ['jwk', { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }],
  ])('a header carrying %s is refused (key material from the token is never used)', async (param, value) => {
    const fetchSpy = vi.fn<typeof fetch>()
    const token = await craft({ [param]: value })
    await expectRefusal(verifier({ fetch: fetchSpy }).verify(token), C.embeddedKey)
    expect(fetchSpy).not.toHaveBeenCalled()
  })

  test('an unknown kid is refused', async () => {
    const token = await signRaw(headerFor(attacker), gatewayClaims(), { key: attacker })
    await expectRefusal(verifier().verify(token), C.keyNotFound)
  })

  test.each([
    '../../etc/passwd',
    '..',
    'keys/ed-1',
    'ed-1\\..\\x',
    'ed 1',
    'ed-1\n',
    '',
    'k'.repeat(129),
    42,
    null,
    undefined,
  ])('kid %j is refused', async (kid) => {
    await expectRefusal(verifier().verify(await craft({ kid })), C.kidInvalid)
  })

  test('a kid of exactly 128 plain characters is allowed through to key lookup', async () => {
    await expectRefusal(verifier().verify(await craft({ kid: 'k'.repeat(128) })), C.keyNotFound)
  })

  test.each(['JWT', 'jwt', 'application/jwt', 'at+jwt ', 'dpop+jwt', 42, undefined])('typ %j is refused', async (typ) => {
    await expectRefusal(verifier().verify(await craft({ typ })), C.typInvalid)
  })

  test.each([[['exp']], [['urn:example:ext']], [[]]])('crit %j is refused', async (crit) => {
    await expectRefusal(verifier().verify(await craft({ crit, exp: 1 })), C.critUnsupported)
  })

  test.each([
    [{ b64: false, crit: ['b64'] }],
    [{ b64: false }],
    [{ b64: true }],
  ])('b64 header %j is refused', async (extra) => {
    await expectRefusal(verifier().verify(await craft(extra)), C.b64Unsupported)
  })

  test.each(['EdDSA', 'ES256', 'RS256'] as const)('%s: a flipped signature bit is refused', async (alg) => {
    const [header, payload, signature = ''] = (await mintLikeGateway(keys[alg])).split('.')
    const bytes = base64url.decode(signature)
    bytes[10] = (bytes[10] ?? 0) ^ 0x01
    const token = `${header}.${payload}.${base64url.encode(bytes)}`
    await expectRefusal(verifier().verify(token), C.signatureInvalid)
  })

  test.each(['.', '.e30', ' ', '\n', '\u0000', '%20', '=', '.a.b'])('trailing garbage %j is refused as malformed', async (tail) => {
    await expectRefusal(verifier().verify((await mintLikeGateway(ed)) + tail), C.tokenMalformed)
  })

  test('base64url characters appended to the signature are refused', async () => {
    await expectRefusal(verifier().verify((await mintLikeGateway(ed)) + 'AAAA'), C.signatureInvalid)
  })

  test('leading garbage is refused', async () => {
    await expectRefusal(verifier().verify(' ' + (await mintLikeGateway(ed))), C.tokenMalformed)
  })

  test.each(['EdDSA', 'ES256', 'RS256'] as const)('%s: a token signed by a foreign key reusing a trusted kid is refused', async (alg) => {
    const impostor = await makeKey(alg, keys[alg].kid)
    await expectRefusal(verifier().verify(await mintLikeGateway(impostor)), C.signatureInvalid)
  })

  test('a kid whose key does not fit the header alg is not used (no algorithm confusion at key level)', async () => {
    // kid "rs-1" names an RSA key; an ES256 token claiming it must not get that key.
    const esImpostor = await makeKey('ES256', keys.RS256.kid)
    await expectRefusal(verifier().verify(await mintLikeGateway(esImpostor)), C.keyNotFound)
  })

  test.each([
    ['RS256', 'ES256'],
    ['ES256', 'EdDSA'],
    ['EdDSA', 'RS256'],
  ] as const)('a %s token naming the kid of an alg-less %s key is refused', async (tokenAlg, keyAlg) => {
    const { alg: _, ...algless } = keys[keyAlg].publicJwk
    const v = verifier({ jwks: { keys: [algless] } })
    const impostor = await makeKey(tokenAlg, keys[keyAlg].kid)
    await expectRefusal(v.verify(await mintLikeGateway(impostor)), C.keyNotFound)
  })

  test('a JWK whose own alg differs from the header alg is not used', async () => {
    const mislabelled = { ...ed.publicJwk, alg: 'ES256' }
    const v = verifier({ jwks: { keys: [mislabelled] } })
    await expectRefusal(v.verify(await mintLikeGateway(ed)), C.keyNotFound)
  })

  test('a megabyte-long token is refused before any decoding', async () => {
    // Not base64url in the middle: any parsing before the length check would answer MALFORMED instead.
    const token = `eyJhbGciOiJFZERTQSJ9.${'!'.repeat(1024 * 1024)}.sig`
    const parse = vi.spyOn(JSON, 'parse')
    try {
      await expectRefusal(verifier().verify(token), C.tokenTooLong)
      expect(parse).not.toHaveBeenCalled()
    } finally {
      parse.mockRestore()
    }
  })

  test('maxTokenLength is an inclusive bound', async () => {
    const token = await mintLikeGateway(ed)
    await expect(verifier({ maxTokenLength: token.length }).verify(token)).resolves.toBeDefined()
    await expectRefusal(verifier({ maxTokenLength: token.length - 1 }).verify(token), C.tokenTooLong)
  })

  test.each([undefined, null, '', 42])('token %j is refused as missing', async (token) => {
    await expectRefusal(verifier().verify(token as string), C.tokenMissing)
  })

  test.each([
    ['a non-JSON header', `${base64url.encode('not json')}.e30.sig`],
    ['a JSON array header', `${base64url.encode('[]')}.e30.sig`],
    ['a header of impossible base64url length', 'eyJhbGciOiJFZERTQSJ9x.e30.sig'],
    ['a header that is not UTF-8', `${base64url.encode(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))}.e30.sig`],
    ['two segments', 'eyJhbGciOiJFZERTQSJ9.e30'],
    ['five segments (JWE)', 'a.b.c.d.e'],
    ['standard base64 characters', 'eyJhbGc+/iJ9.e30.sig'],
  ])('%s is malformed', async (_, token) => {
    await expectRefusal(verifier().verify(token), C.tokenMalformed)
  })

  test('a correctly signed payload that is not a JSON object is malformed', async () => {
    await expectRefusal(verifier().verify(await craft({}, ['not', 'an', 'object'] as never)), C.tokenMalformed)
  })
})

describe('claims', () => {
  test.each(['http://localhost:8081', 'http://localhost:8080/', 'HTTP://localhost:8080', 'https://localhost:8080'])(
    'iss %s is refused',
    async (iss) => {
      await expectRefusal(verifier().verify(await craft({}, gatewayClaims({ iss }))), C.issuerInvalid)
    },
  )

  test.each([['billing'], [['billing', 'inventory']], [[]], ['Orders']])('aud %j is refused', async (aud) => {
    await expectRefusal(verifier().verify(await craft({}, gatewayClaims({ aud }))), C.audienceInvalid)
  })

  test.each(['iss', 'aud', 'exp', 'iat', 'sub', 'sid', 'jti'])('missing %s is refused and named', async (claim) => {
    const claims = gatewayClaims()
    delete claims[claim]
    const error = await expectRefusal(verifier().verify(await craft({}, claims)), C.claimMissing)
    expect(error.claim).toBe(claim)
  })

  test.each([
    ['sub', ''],
    ['sub', 42],
    ['sid', null],
    ['jti', ['a']],
    ['iss', 7],
    ['aud', 5],
    ['aud', [AUDIENCE, 5]],
    ['exp', String(T0_SECONDS + 300)],
    ['iat', 'now'],
    ['nbf', 'soon'],
    ['exp', -1],
    ['roles', 'admin'],
    ['roles', ['admin', 1]],
    ['client_id', 5],
  ])('%s = %j is refused as invalid and named', async (claim, value) => {
    const error = await expectRefusal(verifier().verify(await craft({}, gatewayClaims({ [claim]: value }))), C.claimInvalid)
    expect(error.claim).toBe(claim)
  })

  test('an expired token is refused', async () => {
    const token = await craft({}, gatewayClaims({ iat: T0_SECONDS - 400, exp: T0_SECONDS - 100 }))
    await expectRefusal(verifier().verify(token), C.tokenExpired)
  })

  test('nbf in the future beyond tolerance is refused, within tolerance accepted', async () => {
    await expectRefusal(verifier().verify(await craft({}, gatewayClaims({ nbf: T0_SECONDS + 6 }))), C.tokenNotYetValid)
    await expect(verifier().verify(await craft({}, gatewayClaims({ nbf: T0_SECONDS + 5 })))).resolves.toMatchObject({
      nbf: T0_SECONDS + 5,
    })
  })

  test('iat in the future beyond tolerance is refused, within tolerance accepted', async () => {
    await expectRefusal(verifier().verify(await craft({}, gatewayClaims({ iat: T0_SECONDS + 6 }))), C.iatInFuture)
    await expect(verifier().verify(await craft({}, gatewayClaims({ iat: T0_SECONDS + 5 })))).resolves.toBeDefined()
  })

  test('unknown claims pass through untouched', async () => {
    const token = await craft({}, gatewayClaims({ tenant: 'acme', scope: 'orders:read' }))
    await expect(verifier().verify(token)).resolves.toMatchObject({ tenant: 'acme', scope: 'orders:read' })
  })
})

describe('clock tolerance (injected clock, no sleeping)', () => {
  test('a token is valid until exp + tolerance, then expired', async () => {
    const clock = testClock()
    const v = verifier({ now: clock.now })
    const token = await mintLikeGateway(ed) // exp = T0 + 300
    clock.advance(304)
    await expect(v.verify(token)).resolves.toBeDefined()
    clock.advance(1)
    await expectRefusal(v.verify(token), C.tokenExpired)
  })

  test('tolerance 0 is strict: exp equal to now is expired', async () => {
    const clock = testClock()
    const v = verifier({ now: clock.now, clockToleranceSeconds: 0 })
    const token = await mintLikeGateway(ed)
    clock.advance(299)
    await expect(v.verify(token)).resolves.toBeDefined()
    clock.advance(1)
    await expectRefusal(v.verify(token), C.tokenExpired)
  })

  test('the maximum tolerance of 60 s applies to exp, nbf and iat', async () => {
    const v = verifier({ clockToleranceSeconds: 60 })
    await expect(v.verify(await craft({}, gatewayClaims({ iat: T0_SECONDS - 400, exp: T0_SECONDS - 59 })))).resolves.toBeDefined()
    await expectRefusal(v.verify(await craft({}, gatewayClaims({ iat: T0_SECONDS - 400, exp: T0_SECONDS - 60 }))), C.tokenExpired)
    await expect(v.verify(await craft({}, gatewayClaims({ iat: T0_SECONDS + 60, nbf: T0_SECONDS + 60 })))).resolves.toBeDefined()
    await expectRefusal(v.verify(await craft({}, gatewayClaims({ nbf: T0_SECONDS + 61 }))), C.tokenNotYetValid)
    await expectRefusal(v.verify(await craft({}, gatewayClaims({ iat: T0_SECONDS + 61 }))), C.iatInFuture)
  })

  test('a clock returning an invalid date fails closed', async () => {
    const v = verifier({ now: () => new Date(Number.NaN) })
    await expect(v.verify(await mintLikeGateway(ed))).rejects.toThrow(TypeError)
  })
})

describe('GatehouseTokenError', () => {
  test('is an Error with a stable code and the underlying cause', async () => {
    const [header, payload] = (await mintLikeGateway(ed)).split('.')
    const error = await expectRefusal(verifier().verify(`${header}.${payload}.AAAA`), C.signatureInvalid)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('GatehouseTokenError')
    expect(error.cause).toBeDefined()
  })

  test('the code list is the documented one', () => {
    expect(Object.values(TOKEN_ERROR_CODES).sort()).toEqual(
      [
        'ERR_ALG_NOT_ALLOWED',
        'ERR_AUDIENCE_INVALID',
        'ERR_B64_UNSUPPORTED',
        'ERR_CLAIM_INVALID',
        'ERR_CLAIM_MISSING',
        'ERR_CRIT_UNSUPPORTED',
        'ERR_EMBEDDED_KEY',
        'ERR_IAT_IN_FUTURE',
        'ERR_ISSUER_INVALID',
        'ERR_JWKS_UNAVAILABLE',
        'ERR_KEY_NOT_FOUND',
        'ERR_KID_INVALID',
        'ERR_REVOCATIONS_STALE',
        'ERR_SIGNATURE_INVALID',
        'ERR_TOKEN_EXPIRED',
        'ERR_TOKEN_MALFORMED',
        'ERR_TOKEN_MISSING',
        'ERR_TOKEN_NOT_YET_VALID',
        'ERR_TOKEN_REVOKED',
        'ERR_TOKEN_TOO_LONG',
        'ERR_TYP_INVALID',
      ].sort(),
    )
    expect(new GatehouseTokenError(C.claimMissing, 'x', { claim: 'sub' }).claim).toBe('sub')
  })
})
