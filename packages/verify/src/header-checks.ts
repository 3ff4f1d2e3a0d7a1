import { GatehouseTokenError, TOKEN_ERROR_CODES, type GatehouseTokenErrorCode } from './errors.js'
import type { GatehouseAlgorithm } from './options.js'

export interface CheckedHeader {
  alg: GatehouseAlgorithm
  kid: string
}

// RFC 9068 §2.1: "at+jwt"; §4 says "application/at+jwt" is equivalent, media types are case-insensitive.
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt'])

// The key must come from our configured set and nowhere else; these would let the token choose its own key.
const EMBEDDED_KEY_PARAMS = ['jwk', 'jku', 'x5u', 'x5c'] as const

// The kid may end up in logs, metrics labels or cache keys: keep it boring.
const KID = /^[A-Za-z0-9._-]{1,128}$/

function refuse(code: GatehouseTokenErrorCode, message: string): never {
  throw new GatehouseTokenError(code, message)
}

/** Runs before any key lookup or signature work, so each refusal gets its own code and costs nothing. */
export function checkHeader(header: Record<string, unknown>, algorithms: ReadonlySet<GatehouseAlgorithm>): CheckedHeader {
  const { alg, typ, kid } = header
  if (typeof alg !== 'string' || !(algorithms as ReadonlySet<string>).has(alg)) {
    refuse(TOKEN_ERROR_CODES.algNotAllowed, 'alg not allowed')
  }
  if (typeof typ !== 'string' || !ACCEPTED_TYP.has(typ.toLowerCase())) {
    refuse(TOKEN_ERROR_CODES.typInvalid, 'typ must be at+jwt')
  }
  for (const param of EMBEDDED_KEY_PARAMS) {
    if (Object.hasOwn(header, param)) refuse(TOKEN_ERROR_CODES.embeddedKey, `header carries "${param}"`)
  }
  // Checked before crit: a real b64 token also lists "b64" in crit, and this is the more telling refusal.
  if (Object.hasOwn(header, 'b64')) refuse(TOKEN_ERROR_CODES.b64Unsupported, 'b64 header is not supported')
  // We implement no extension, so any crit means "you would misread this token".
  if (Object.hasOwn(header, 'crit')) refuse(TOKEN_ERROR_CODES.critUnsupported, 'crit header is not supported')
  if (typeof kid !== 'string' || !KID.test(kid) || kid.includes('..')) {
    refuse(TOKEN_ERROR_CODES.kidInvalid, 'kid missing or not a plain identifier')
  }
  return { alg: alg as GatehouseAlgorithm, kid }
}
