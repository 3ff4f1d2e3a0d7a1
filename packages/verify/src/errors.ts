/**
 * Stable refusal codes. They are public API: callers and the Hono middleware
 * branch on them, so a code is never renamed once released.
 */
export const TOKEN_ERROR_CODES = {
  tokenMissing: 'ERR_TOKEN_MISSING',
  tokenTooLong: 'ERR_TOKEN_TOO_LONG',
  tokenMalformed: 'ERR_TOKEN_MALFORMED',
  algNotAllowed: 'ERR_ALG_NOT_ALLOWED',
  typInvalid: 'ERR_TYP_INVALID',
  kidInvalid: 'ERR_KID_INVALID',
  embeddedKey: 'ERR_EMBEDDED_KEY',
  critUnsupported: 'ERR_CRIT_UNSUPPORTED',
  b64Unsupported: 'ERR_B64_UNSUPPORTED',
  keyNotFound: 'ERR_KEY_NOT_FOUND',
  signatureInvalid: 'ERR_SIGNATURE_INVALID',
  issuerInvalid: 'ERR_ISSUER_INVALID',
  audienceInvalid: 'ERR_AUDIENCE_INVALID',
  tokenExpired: 'ERR_TOKEN_EXPIRED',
  tokenNotYetValid: 'ERR_TOKEN_NOT_YET_VALID',
  iatInFuture: 'ERR_IAT_IN_FUTURE',
  claimMissing: 'ERR_CLAIM_MISSING',
  claimInvalid: 'ERR_CLAIM_INVALID',
  jwksUnavailable: 'ERR_JWKS_UNAVAILABLE',
  tokenRevoked: 'ERR_TOKEN_REVOKED',
  revocationsStale: 'ERR_REVOCATIONS_STALE',
} as const
export type GatehouseTokenErrorCode = (typeof TOKEN_ERROR_CODES)[keyof typeof TOKEN_ERROR_CODES]

export interface GatehouseTokenErrorOptions {
  cause?: unknown
  /** The claim at fault, set for ERR_CLAIM_MISSING and ERR_CLAIM_INVALID. */
  claim?: string
}

/** The only error `verify()` rejects with; messages are for humans and may change, `code` is the contract. */
export class GatehouseTokenError extends Error {
  readonly code: GatehouseTokenErrorCode
  readonly claim: string | undefined

  constructor(code: GatehouseTokenErrorCode, message: string, options: GatehouseTokenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GatehouseTokenError'
    this.code = code
    this.claim = options.claim
  }
}
