import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64url, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import type { Store } from '@gatehouse/store'
import { newSession, newUser, T0 } from '@gatehouse/store/conformance'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import { createVerifier } from '@gatehouse/verify'
import { describe, expect, it } from 'vitest'
import { createKeyManager, createMasterKeyCipher, createTokenIssuer, SIGNING_ALGS, type KeyManager, type SigningAlg, type TokenIssuer, type TokenSubject } from '../src/index.js'
import { Clock, closedAfterEach } from './test-fixtures.js'

const ISSUER = 'https://app.example.com'
const TTL_S = 300
const ACTIVATION_DELAY_MS = 40_000
const REFRESH_MS = 10_000

const keep = closedAfterEach()

interface Setup {
  clock: Clock
  keys: KeyManager
  tokens: TokenIssuer
  subject: TokenSubject
}

/** An issuer as the gateway builds it, on a real SQLite file, and a live session to mint for. */
async function setup(alg: SigningAlg): Promise<Setup> {
  const store = keep(await createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'gh-jwt-signer-')), 'test.db') }))
  const clock = new Clock()
  const cipher = createMasterKeyCipher('test-master-key-0123456789-abcdefghijklmn')
  const keys = createKeyManager({ store, clock, cipher, alg, accessTtlS: TTL_S, activationDelayMs: ACTIVATION_DELAY_MS, refreshIntervalMs: REFRESH_MS })
  await keys.init()
  const tokens = createTokenIssuer({ store, keys, cipher, clock, issuer: ISSUER, accessTtlS: TTL_S, revokeSession: async () => {} })
  const user = await store.createUser(newUser())
  const session = newSession(user.id, { createdAt: clock.now(), lastSeenAt: clock.now(), idleExpiresAt: clock.now() + 86_400_000 })
  await store.createSession(session)
  return { clock, keys, tokens, subject: { sessionId: session.id, userId: user.id, roles: ['admin', 'user'] } }
}

/** jose's jwtVerify against the published keys, as a third-party service would. */
async function joseVerify(token: string, jwks: JSONWebKeySet, clock: Clock, alg: SigningAlg) {
  return jwtVerify(token, createLocalJWKSet(jwks), {
    typ: 'at+jwt',
    issuer: ISSUER,
    audience: 'orders',
    algorithms: [alg],
    currentDate: new Date(clock.now()),
  })
}

/** @gatehouse/verify with the published keys. */
function gatehouseVerify(token: string, jwks: JSONWebKeySet, clock: Clock) {
  return createVerifier({ jwks, issuer: ISSUER, audience: 'orders', now: () => new Date(clock.now()) }).verify(token)
}

const SIGNATURE_BYTES: Record<SigningAlg, number> = { EdDSA: 64, ES256: 64, RS256: 256 }

describe('access tokens signed by the JWT signer', () => {
  for (const alg of SIGNING_ALGS) {
    it(`${alg}: exactly the RFC 9068 header and claims, verified by jose and by @gatehouse/verify`, async () => {
      const { clock, keys, tokens, subject } = await setup(alg)
      const token = await tokens.tokenFor(subject, 'orders')
      const jwks = await keys.jwks()
      const [published] = jwks.keys

      expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: published!.kid })
      const iat = Math.floor(clock.now() / 1000)
      const { payload, protectedHeader } = await joseVerify(token, jwks, clock, alg)
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: published!.kid })
      // Exactly these claims, no more (no nbf, no second iat from the library's own clock).
      expect(payload).toEqual({
        iss: ISSUER,
        aud: 'orders',
        sub: subject.userId,
        sid: subject.sessionId,
        roles: ['admin', 'user'],
        client_id: 'gatehouse',
        jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        iat,
        exp: iat + TTL_S,
      })
      await expect(gatehouseVerify(token, jwks, clock)).resolves.toMatchObject({ sub: subject.userId, sid: subject.sessionId, aud: 'orders' })
    })

    it(`${alg}: the signature is the JOSE one (ES256 raw r||s, not DER), and a changed byte fails both verifiers`, async () => {
      const { clock, keys, tokens, subject } = await setup(alg)
      const token = await tokens.tokenFor(subject, 'orders')
      const jwks = await keys.jwks()
      const [header, payload, signature] = token.split('.') as [string, string, string]
      expect(base64url.decode(signature)).toHaveLength(SIGNATURE_BYTES[alg])

      const raw = base64url.decode(signature)
      raw[7]! ^= 1
      const tampered = `${header}.${payload}.${base64url.encode(raw)}`
      await expect(joseVerify(tampered, jwks, clock, alg)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
      await expect(gatehouseVerify(tampered, jwks, clock)).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' })
    })
  }

  it('the claims follow the injected clock, not the wall clock', async () => {
    const { clock, keys, tokens, subject } = await setup('EdDSA')
    clock.advance(3 * 3_600_000 + 1234)
    const token = await tokens.tokenFor(subject, 'orders', { fresh: true })
    const { payload } = await joseVerify(token, await keys.jwks(), clock, 'EdDSA')
    expect(payload.iat).toBe(Math.floor(clock.now() / 1000))
    expect(payload.exp).toBe(Math.floor(clock.now() / 1000) + TTL_S)
  })
})

describe('the JWT signer across key rotations', () => {
  it('after a rotation the new kid signs once active; a token of the retired key still verifies while published', async () => {
    const { clock, keys, tokens, subject } = await setup('ES256')
    const before = await tokens.tokenFor(subject, 'orders')
    const oldKid = decodeProtectedHeader(before).kid
    const { kid: newKid } = await keys.rotate()

    // Published at once, signing only after the activation delay.
    expect(decodeProtectedHeader(await tokens.tokenFor(subject, 'orders', { fresh: true })).kid).toBe(oldKid)
    clock.advance(ACTIVATION_DELAY_MS + REFRESH_MS)
    const after = await tokens.tokenFor(subject, 'orders', { fresh: true })
    expect(decodeProtectedHeader(after)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: newKid })
    // The cached token of the old key is not handed out any more: a new one with the new kid.
    expect(decodeProtectedHeader(await tokens.tokenFor(subject, 'orders')).kid).toBe(newKid)

    const jwks = await keys.jwks()
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid])
    for (const token of [before, after]) {
      await expect(joseVerify(token, jwks, clock, 'ES256')).resolves.toBeDefined()
      await expect(gatehouseVerify(token, jwks, clock)).resolves.toMatchObject({ sid: subject.sessionId })
    }
  })

  it('after an emergency rotation the new kid signs at once, and tokens of the old key fail', async () => {
    const { clock, keys, tokens, subject } = await setup('EdDSA')
    const before = await tokens.tokenFor(subject, 'orders')
    const { kid: newKid } = await keys.rotate({ emergency: true })
    const after = await tokens.tokenFor(subject, 'orders')
    expect(decodeProtectedHeader(after)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: newKid })

    const jwks = await keys.jwks()
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid])
    await expect(joseVerify(after, jwks, clock, 'EdDSA')).resolves.toBeDefined()
    await expect(gatehouseVerify(after, jwks, clock)).resolves.toBeDefined()
    await expect(joseVerify(before, jwks, clock, 'EdDSA')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    await expect(gatehouseVerify(before, jwks, clock)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' })
  })
})
