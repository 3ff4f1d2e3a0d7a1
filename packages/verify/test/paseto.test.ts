import { randomBytes } from 'node:crypto'
import { PublicProtocol } from 'paseto'
import { SecretKeyFromCryptoKey, SignFactory } from 'paseto/v4/public'
import * as V2 from 'paseto/v2/public'
import { base64url, exportJWK, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, test } from 'vitest'
import { createVerifier, type GatehouseVerifier } from '../src/index.js'
import { AUDIENCE, expectRefusal, gatewayClaims, ISSUER, jwksOf, makeKey, mintLikeGateway, T0, T0_SECONDS, type TestKey } from './helpers.js'

const v4 = new PublicProtocol(SignFactory)
const v2 = new PublicProtocol(V2.SignFactory)
const footerOf = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))

/** Claims as the gateway puts them in a PASETO: times as RFC 3339 strings. */
function pasetoClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { iat, exp, ...rest } = gatewayClaims()
  return { ...rest, iat: new Date((iat as number) * 1000).toISOString(), exp: new Date((exp as number) * 1000).toISOString(), ...overrides }
}

async function mintPaseto(key: TestKey, claims = pasetoClaims(), footer: unknown = { kid: key.kid }): Promise<string> {
  const secret = await SecretKeyFromCryptoKey(key.privateKey)
  const clean = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
  return v4.Sign(secret, clean as never, { footer: footerOf(footer), addIssuedAt: false, nonExpiring: clean.exp === undefined })
}

/** Like makeKey, but extractable: the paseto package derives the public half of a secret key by export on Node 20. */
async function makeEd25519(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true })
  return { alg: 'EdDSA', kid, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } }
}

let key: TestKey
let other: TestKey
let foreign: TestKey
let es: TestKey
let verifier: GatehouseVerifier
beforeAll(async () => {
  key = await makeEd25519('ed-1')
  other = await makeEd25519('ed-2')
  foreign = await makeEd25519('ed-1') // same kid, not ours
  es = await makeKey('ES256', 'es-1')
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key, other, es), format: 'paseto', now: () => T0 })
})

describe("format: 'paseto' verifies PASETO v4.public tokens", () => {
  test('accepts a token minted like the gateway, with the same claims as the JWT (times in seconds)', async () => {
    const claims = await verifier.verify(await mintPaseto(key))
    expect(claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'user-42', sid: 'session-7', roles: ['reader'], client_id: 'gatehouse', iat: T0_SECONDS, exp: T0_SECONDS + 300 })
  })

  test('refuses a JWT, and a JWT verifier refuses a PASETO', async () => {
    await expectRefusal(verifier.verify(await mintLikeGateway(key)), 'ERR_TOKEN_MALFORMED')
    const jwtVerifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), now: () => T0 })
    await expectRefusal(jwtVerifier.verify(await mintPaseto(key)), 'ERR_TOKEN_MALFORMED')
  })

  test('the option is checked at construction', () => {
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), format: 'paseto2' as never })).toThrow(TypeError)
    expect(() => createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwksOf(key), format: 'paseto', algorithms: ['ES256'] })).toThrow(TypeError)
  })
})

describe('PASETO attacks', () => {
  test('a v4.local token (symmetric, encrypted) is refused before any key is used', async () => {
    // The paseto package has no v4.local on WebCrypto; its shape is enough: nonce, ciphertext, tag.
    const token = `v4.local.${base64url.encode(randomBytes(32 + 120 + 32))}.${base64url.encode(JSON.stringify({ kid: key.kid }))}`
    await expectRefusal(verifier.verify(token), 'ERR_ALG_NOT_ALLOWED')
  })

  test('other versions and purposes are refused, even v2.public signed with our very Ed25519 key', async () => {
    const secret = await V2.SecretKeyFromCryptoKey(key.privateKey)
    const token = await v2.Sign(secret, pasetoClaims() as never, { footer: footerOf({ kid: key.kid }), addIssuedAt: false })
    expect(token.startsWith('v2.public.')).toBe(true)
    await expectRefusal(verifier.verify(token), 'ERR_ALG_NOT_ALLOWED')
    const genuine = await mintPaseto(key)
    for (const prefix of ['v3.public.', 'v1.public.', 'v4.secret.', 'V4.public.', 'v4.public']) {
      const forged = prefix + genuine.slice('v4.public.'.length)
      await expect(verifier.verify(forged)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_(ALG_NOT_ALLOWED|TOKEN_MALFORMED)$/) })
    }
  })

  test('a footer naming an unknown key id: ERR_KEY_NOT_FOUND', async () => {
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims(), { kid: 'nobody' })), 'ERR_KEY_NOT_FOUND')
    // A kid of a published key of another type (ES256) does not make it an Ed25519 key.
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims(), { kid: es.kid })), 'ERR_KEY_NOT_FOUND')
  })

  test.each<[string, unknown]>([
    ['a path', { kid: '../../etc/passwd' }],
    ['a kid too long', { kid: 'k'.repeat(300) }],
    ['a number', { kid: 1 }],
    ['no kid', {}],
    ['an embedded key beside the kid', { kid: 'ed-1', wpk: 'k4.local-wrap.pie.AAAA' }],
    ['a bare PASERK id', 'k4.pid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['JSON that is not an object', ['ed-1']],
  ])('a hostile footer (%s): ERR_KID_INVALID', async (_name, footer) => {
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims(), footer)), 'ERR_KID_INVALID')
  })

  test('no footer at all is refused', async () => {
    const secret = await SecretKeyFromCryptoKey(key.privateKey)
    const token = await v4.Sign(secret, pasetoClaims() as never, { addIssuedAt: false })
    await expectRefusal(verifier.verify(token), 'ERR_TOKEN_MALFORMED')
  })

  test('a token signed by a foreign key under our kid: ERR_SIGNATURE_INVALID', async () => {
    await expectRefusal(verifier.verify(await mintPaseto(foreign)), 'ERR_SIGNATURE_INVALID')
  })

  test('the footer is authenticated: moving a token to another published kid breaks it', async () => {
    const genuine = await mintPaseto(key)
    const [v, p, body] = genuine.split('.')
    const swapped = `${v}.${p}.${body}.${base64url.encode(JSON.stringify({ kid: other.kid }))}`
    await expectRefusal(verifier.verify(swapped), 'ERR_SIGNATURE_INVALID')
  })

  test('flipped bits anywhere in the payload or signature: ERR_SIGNATURE_INVALID', async () => {
    const genuine = await mintPaseto(key)
    const [v, p, body, footer] = genuine.split('.') as [string, string, string, string]
    const bytes = base64url.decode(body)
    for (const at of [0, 10, Math.floor(bytes.length / 2), bytes.length - 64, bytes.length - 1]) {
      const copy = new Uint8Array(bytes)
      copy[at] = copy[at]! ^ 0x01
      await expectRefusal(verifier.verify(`${v}.${p}.${base64url.encode(copy)}.${footer}`), 'ERR_SIGNATURE_INVALID')
    }
    await expectRefusal(verifier.verify(`${v}.${p}.${base64url.encode(bytes.subarray(0, 40))}.${footer}`), 'ERR_SIGNATURE_INVALID')
  })

  test('the claim rules of the JWT apply: expired, wrong audience, wrong issuer, missing sid, iat in the future', async () => {
    const at = (s: number) => new Date((T0_SECONDS + s) * 1000).toISOString()
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ iat: at(-600), exp: at(-10) }))), 'ERR_TOKEN_EXPIRED')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ aud: 'profile' }))), 'ERR_AUDIENCE_INVALID')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ iss: 'https://evil.example' }))), 'ERR_ISSUER_INVALID')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ sid: undefined }))), 'ERR_CLAIM_MISSING')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ iat: at(600), exp: at(900) }))), 'ERR_IAT_IN_FUTURE')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ exp: undefined }))), 'ERR_CLAIM_MISSING')
    await expectRefusal(verifier.verify(await mintPaseto(key, pasetoClaims({ roles: 'admin' }))), 'ERR_CLAIM_INVALID')
  })

  test('oversized tokens are refused before any decoding', async () => {
    await expectRefusal(verifier.verify(`v4.public.${'A'.repeat(9000)}.${'B'.repeat(10)}`), 'ERR_TOKEN_TOO_LONG')
  })
})
