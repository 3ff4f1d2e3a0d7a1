import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose'
import { expect } from 'vitest'
import { GatehouseTokenError, type GatehouseTokenErrorCode } from '../src/index.js'

export const ISSUER = 'http://localhost:8080'
export const AUDIENCE = 'orders'
/** A fixed instant: every test runs on an injected clock, nothing sleeps. */
export const T0 = new Date('2030-01-01T00:00:00Z')
export const T0_SECONDS = T0.getTime() / 1000

export type TestAlg = 'EdDSA' | 'ES256' | 'RS256'

export interface TestKey {
  alg: TestAlg
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: JWK
}

export async function makeKey(alg: TestAlg, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, publicJwk }
}

export function jwksOf(...keys: TestKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) }
}

let jtiCounter = 0

/** The claims the gateway mints, valid at T0. */
export function gatewayClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  jtiCounter += 1
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-42',
    sid: 'session-7',
    roles: ['reader'],
    client_id: 'gatehouse',
    iat: T0_SECONDS,
    exp: T0_SECONDS + 300,
    jti: `jti-${jtiCounter}`,
    ...overrides,
  }
}

/** Signs the way the gateway does (jose SignJWT), for the positive paths. */
export async function mintLikeGateway(key: TestKey, claims = gatewayClaims()): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey)
}

const SIGN_PARAMS: Record<TestAlg, { name: string; hash?: string }> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
}

export type RawSigner = { key: TestKey } | { hmacSecret: Uint8Array } | { unsigned: true }

const encodeJson = (value: unknown): string => base64url.encode(JSON.stringify(value))

/**
 * Signs any header/payload with WebCrypto directly: jose's own signers refuse
 * most of the hostile headers the attack tests need to send.
 */
export async function signRaw(header: Record<string, unknown>, payload: unknown, signer: RawSigner): Promise<string> {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`
  const data = new TextEncoder().encode(input)
  if ('unsigned' in signer) return `${input}.`
  let signature: ArrayBuffer
  if ('hmacSecret' in signer) {
    const hmac = await crypto.subtle.importKey('raw', signer.hmacSecret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    signature = await crypto.subtle.sign('HMAC', hmac, data)
  } else {
    signature = await crypto.subtle.sign(SIGN_PARAMS[signer.key.alg], signer.key.privateKey, data)
  }
  return `${input}.${base64url.encode(new Uint8Array(signature))}`
}

/** The gateway header for this key, with overrides; an override set to undefined removes the member. */
export function headerFor(key: TestKey, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const merged: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...overrides }
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined))
}

export async function expectRefusal(promise: Promise<unknown>, code: GatehouseTokenErrorCode): Promise<GatehouseTokenError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error, `expected a refusal with ${code}`).toBeInstanceOf(GatehouseTokenError)
  expect((error as GatehouseTokenError).code).toBe(code)
  return error as GatehouseTokenError
}

/** A mutable clock to inject as `now`. */
export function testClock(start = T0): { now: () => Date; advance(seconds: number): void; set(date: Date): void } {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    advance(seconds) {
      current += seconds * 1000
    },
    set(date) {
      current = date.getTime()
    },
  }
}
