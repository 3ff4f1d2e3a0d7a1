import { PublicProtocol } from 'paseto'
import { SignFactory } from 'paseto/v4/public'
import type { AccessClaims } from './access-claims.js'
import { TokenError } from './errors.js'
import type { SigningKey } from './key-material.js'

const v4 = new PublicProtocol(SignFactory)
const encoder = new TextEncoder()

/**
 * Signs access tokens as PASETO v4.public with the key ring's Ed25519 key (the paseto package
 * does all of the cryptography). The key id travels in the footer, which v4 authenticates;
 * `iat` and `exp` become RFC 3339 strings, as PASETO registers them.
 */
export function createPasetoSigner() {
  return async function signPaseto(key: SigningKey, claims: AccessClaims): Promise<string> {
    if (key.alg !== 'EdDSA' || key.pasetoKey === undefined) {
      throw new TokenError('ERR_KEY_ALG_MISMATCH', `PASETO v4.public needs an Ed25519 key; the current signing key is ${key.alg}`)
    }
    const { iat, exp, ...rest } = claims
    return v4.Sign(
      key.pasetoKey,
      { ...rest, iat: new Date(iat * 1000).toISOString(), exp: new Date(exp * 1000).toISOString() },
      { footer: encoder.encode(JSON.stringify({ kid: key.kid })), addIssuedAt: false },
    )
  }
}
