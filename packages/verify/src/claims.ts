import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'

/** The claims of a verified Gatehouse access token (RFC 9068 profile). */
export interface GatehouseClaims {
  /** The gateway's public origin. */
  readonly iss: string
  /** This service's name (the gateway mints a single string). */
  readonly aud: string | readonly string[]
  /** User id. */
  readonly sub: string
  /** Gateway session id. */
  readonly sid: string
  /** Unique token id. */
  readonly jti: string
  /** Issued-at, seconds since the epoch. */
  readonly iat: number
  /** Expiry, seconds since the epoch. */
  readonly exp: number
  readonly nbf?: number
  /** Empty when the token carries no roles. */
  readonly roles: readonly string[]
  /** "gatehouse" for tokens minted by the gateway. */
  readonly client_id?: string
  /** Claims this library does not interpret, passed through untouched. */
  readonly [claim: string]: unknown
}

export interface ClaimContext {
  issuer: string
  audience: string
  /** Seconds since the epoch. */
  now: number
  clockToleranceSeconds: number
}

const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'sub', 'sid', 'jti'] as const

function invalid(claim: string, message: string): never {
  throw new GatehouseTokenError(TOKEN_ERROR_CODES.claimInvalid, message, { claim })
}

function nonEmptyString(payload: Record<string, unknown>, claim: string): string {
  const value = payload[claim]
  if (typeof value !== 'string' || value.length === 0) invalid(claim, `${claim} must be a non-empty string`)
  return value
}

function numericDate(payload: Record<string, unknown>, claim: string): number {
  const value = payload[claim]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(claim, `${claim} must be a NumericDate`)
  return value
}

function stringArray(value: unknown, claim: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    invalid(claim, `${claim} must be an array of strings`)
  }
  return Object.freeze([...value])
}

/** Runs only on a payload whose signature has been verified. */
export function validateClaims(payload: Record<string, unknown>, context: ClaimContext): GatehouseClaims {
  for (const claim of REQUIRED_CLAIMS) {
    if (payload[claim] === undefined) {
      throw new GatehouseTokenError(TOKEN_ERROR_CODES.claimMissing, `${claim} claim missing`, { claim })
    }
  }

  const iss = nonEmptyString(payload, 'iss')
  if (iss !== context.issuer) throw new GatehouseTokenError(TOKEN_ERROR_CODES.issuerInvalid, 'unexpected issuer')

  const rawAud = payload.aud
  const aud = typeof rawAud === 'string' ? rawAud : stringArray(rawAud, 'aud')
  const audiences: readonly string[] = typeof aud === 'string' ? [aud] : aud
  if (!audiences.includes(context.audience)) {
    throw new GatehouseTokenError(TOKEN_ERROR_CODES.audienceInvalid, 'token is not meant for this audience')
  }

  const { now, clockToleranceSeconds: tolerance } = context
  const exp = numericDate(payload, 'exp')
  const iat = numericDate(payload, 'iat')
  const nbf = payload.nbf === undefined ? undefined : numericDate(payload, 'nbf')
  // RFC 7519 §4.1.4: the current time must be *before* exp.
  if (now - tolerance >= exp) throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenExpired, 'token expired')
  if (nbf !== undefined && nbf > now + tolerance) {
    throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenNotYetValid, 'token not valid yet (nbf)')
  }
  // A token from the future means a skewed or forged minting clock; its exp cannot be trusted either.
  if (iat > now + tolerance) throw new GatehouseTokenError(TOKEN_ERROR_CODES.iatInFuture, 'iat is in the future')

  const sub = nonEmptyString(payload, 'sub')
  const sid = nonEmptyString(payload, 'sid')
  const jti = nonEmptyString(payload, 'jti')
  const roles = payload.roles === undefined ? Object.freeze([]) : stringArray(payload.roles, 'roles')
  if (payload.client_id !== undefined) nonEmptyString(payload, 'client_id')

  return Object.freeze({ ...payload, iss, aud, sub, sid, jti, iat, exp, roles, ...(nbf === undefined ? {} : { nbf }) })
}
