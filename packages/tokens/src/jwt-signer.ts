import { createSigner } from 'fast-jwt'
import type { SigningKey } from './key-material.js'
import type { AccessClaims } from './paseto-signer.js'

type SignClaims = (claims: AccessClaims) => string

/**
 * Signs access tokens as RFC 9068 JWTs (header `{ alg, typ: 'at+jwt', kid }`), synchronously:
 * fast-jwt signs with node:crypto's `crypto.sign` on the calling thread, where jose's WebCrypto
 * signing is a thread-pool job costing three times the CPU. One fast-jwt signer is built per
 * signing key, the first time that key signs, and reused for every token it signs.
 */
export function createJwtSigner() {
  // Keyed by the SigningKey object: the key manager keeps one per kid, and a key that stops
  // signing takes its signer with it when collected.
  const signers = new WeakMap<SigningKey, SignClaims>()

  function signerFor(key: SigningKey): SignClaims {
    let sign = signers.get(key)
    if (sign === undefined) {
      sign = createSigner<AccessClaims>({
        // fast-jwt takes a PEM or a buffer, not a KeyObject; it parses the PEM once, here.
        key: key.nodeKey.export({ format: 'pem', type: 'pkcs8' }) as string,
        algorithm: key.alg,
        kid: key.kid,
        header: { alg: key.alg, typ: 'at+jwt' },
        // iat and exp come from the claims (the injected clock): fast-jwt keeps a given iat and
        // exp as they are, and noTimestamp would drop iat.
      })
      signers.set(key, sign)
    }
    return sign
  }

  return function signJwt(key: SigningKey, claims: AccessClaims): string {
    return signerFor(key)(claims)
  }
}
