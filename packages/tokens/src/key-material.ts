import { createPrivateKey, randomBytes, type JsonWebKey as NodeJwk } from 'node:crypto'
import { base64url, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose'
import { ImportSecretKeyFactory, type SecretKey as PasetoSecretKey } from 'paseto/v4/public'
import { PublicProtocol } from 'paseto'
import type { Millis, SigningKeyRecord } from '@gatehouse/store'
import { TokenError } from './errors.js'
import { createJwtSigner, type JwtSigner } from './jwt-signer.js'
import type { MasterKeyCipher } from './master-key.js'

export const SIGNING_ALGS = ['EdDSA', 'ES256', 'RS256'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** What signs: the current key, imported once per kid and kept in the forms its signers need. */
export interface SigningKey {
  kid: string
  alg: SigningAlg
  /**
   * A non-extractable WebCrypto key. Importing it through jose also proves the stored JWK fits
   * `alg` (key type and curve); access JWTs are signed by `signJwt`.
   */
  privateKey: CryptoKey
  /**
   * Signs access JWTs with this key (jwt-signer.ts), built once at import. It holds the key as a
   * node:crypto KeyObject, which unlike the CryptoKey is exportable in memory (node has no
   * non-extractable KeyObject); fast-jwt also keeps the PKCS#8 PEM it was built from in its
   * module-level cache of parsed keys (at most 1000 entries) for the life of the process.
   */
  signJwt: JwtSigner
  /**
   * The same Ed25519 key as a PASETO v4.public secret key (EdDSA keys only), non-extractable too:
   * the paseto package cannot derive the public half from a non-extractable CryptoKey on Node 20.
   */
  pasetoKey?: PasetoSecretKey
  /** When the key was made (epoch ms): its age is a metric worth watching. */
  createdAt: Millis
}

// The public members of each key type. The JWKS is built from this list (an allow-list, not a
// deny-list of d, p, q, …), so no private member can ever reach it, whatever a row holds.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['kty', 'crv', 'x'],
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
}

export function isSigningAlg(value: string): value is SigningAlg {
  return (SIGNING_ALGS as readonly string[]).includes(value)
}

/** 128 random bits: kids name nothing and cannot be guessed. */
export function newKid(): string {
  return randomBytes(16).toString('base64url')
}

export function publicJwk(record: Pick<SigningKeyRecord, 'kid' | 'alg' | 'publicJwk'>): JWK {
  const members = PUBLIC_MEMBERS[String(record.publicJwk.kty)]
  if (members === undefined) throw new TokenError('ERR_KEY_CORRUPT', `signing key "${record.kid}" has an unknown key type`)
  const jwk: Record<string, unknown> = {}
  for (const m of members) jwk[m] = record.publicJwk[m]
  return { ...jwk, kid: record.kid, alg: record.alg, use: 'sig' } as JWK
}

const pasetoImport = new PublicProtocol(ImportSecretKeyFactory)

/** An Ed25519 private JWK as a v4.public secret key, via its PASERK serialization (k4.secret: seed || public key). */
async function pasetoKeyOf(alg: SigningAlg, jwk: JWK): Promise<{ pasetoKey: PasetoSecretKey } | Record<string, never>> {
  if (alg !== 'EdDSA' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') return {}
  const d = base64url.decode(jwk.d)
  const x = base64url.decode(jwk.x)
  const both = new Uint8Array(d.length + x.length)
  both.set(d)
  both.set(x, d.length)
  return { pasetoKey: await pasetoImport.ImportSecretKey(`k4.secret.${base64url.encode(both)}`) }
}

function jwtSignerOf(kid: string, alg: SigningAlg, jwk: JWK): JwtSigner {
  return createJwtSigner(kid, alg, createPrivateKey({ key: jwk as NodeJwk, format: 'jwk' }))
}

/** A fresh key pair for `alg`: the record to store (private JWK encrypted) and the key to sign with. */
export async function generateSigningKey(alg: SigningAlg, cipher: MasterKeyCipher, now: Millis): Promise<{ record: SigningKeyRecord; key: SigningKey }> {
  const kid = newKid()
  // EdDSA means Ed25519 here; RS256 gets jose's 2048-bit default modulus.
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  const privateJwk = await exportJWK(pair.privateKey)
  const record: SigningKeyRecord = {
    kid,
    alg,
    publicJwk: publicJwk({ kid, alg, publicJwk: (await exportJWK(pair.publicKey)) as Record<string, unknown> }) as Record<string, unknown>,
    privateKeyEnc: cipher.encrypt(JSON.stringify(privateJwk), kid),
    createdAt: now,
    retiredAt: null,
    publishUntil: null,
  }
  const privateKey = (await importJWK(privateJwk, alg, { extractable: false })) as CryptoKey
  return { record, key: { kid, alg, privateKey, signJwt: jwtSignerOf(kid, alg, privateJwk), ...(await pasetoKeyOf(alg, privateJwk)), createdAt: now } }
}

/** Decrypts and imports a stored key. ERR_MASTER_KEY_MISMATCH when the master key is not the one it was stored with. */
export async function importSigningKey(record: SigningKeyRecord, cipher: MasterKeyCipher): Promise<SigningKey> {
  if (!isSigningAlg(record.alg)) throw new TokenError('ERR_KEY_CORRUPT', `signing key "${record.kid}" has an unsupported alg`)
  const plaintext = cipher.decrypt(record.privateKeyEnc, record.kid)
  try {
    const jwk = JSON.parse(plaintext) as JWK
    const privateKey = await importJWK(jwk, record.alg, { extractable: false })
    return {
      kid: record.kid,
      alg: record.alg,
      privateKey: privateKey as CryptoKey,
      signJwt: jwtSignerOf(record.kid, record.alg, jwk),
      ...(await pasetoKeyOf(record.alg, jwk)),
      createdAt: record.createdAt,
    }
  } catch (cause) {
    throw new TokenError('ERR_KEY_CORRUPT', `signing key "${record.kid}" does not import as an ${record.alg} private key`, { cause })
  }
}
