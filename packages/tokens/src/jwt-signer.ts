import type { KeyObject } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import type { AccessClaims } from './access-claims.js'
import type { SigningAlg } from './key-material.js'

/** Signs one access token with one key; synchronous. */
export type JwtSigner = (claims: AccessClaims) => string

/**
 * The signer of RFC 9068 access tokens for one signing key: header `{ alg, typ: 'at+jwt', kid }`,
 * the claims as given. fast-jwt signs with node:crypto's `crypto.sign` on the calling thread,
 * where jose's WebCrypto signing is a thread-pool job that costs more CPU (measured: EdDSA
 * 104 µs against 44, ES256 93 against 34; RS256 333 against 269, where the RSA maths dominates).
 * Building one parses the key (about 0.6 ms), so it is built once per key, when the key is
 * imported, and reused for every token that key signs.
 */
export function createJwtSigner(kid: string, alg: SigningAlg, privateKey: KeyObject): JwtSigner {
  return createSigner<AccessClaims>({
    // fast-jwt takes a PEM or a buffer, not a KeyObject.
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    algorithm: alg,
    kid,
    header: { alg, typ: 'at+jwt' },
    // iat and exp come from the claims (the injected clock): fast-jwt keeps a given iat and exp
    // as they are, where its noTimestamp option would drop iat.
  })
}
