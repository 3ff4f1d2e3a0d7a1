import { base64url, type CryptoKey } from 'jose'
import type { GatehouseClaims } from './claims.js'
import { validateClaims } from './claims.js'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'
import type { KeyResolver } from './jwks.js'
import type { ResolvedVerifierOptions } from './options.js'

// The paseto package is loaded on first use, only by verifiers made with format: 'paseto', so
// that services verifying JWTs load (and install) jose alone. Types only at compile time.
type Root = typeof import('paseto')
type V4Public = typeof import('paseto/v4/public')
type PasetoPublicKey = Awaited<ReturnType<V4Public['PublicKeyFromCryptoKey']>>
type ConsumeOptions = import('paseto').ConsumeOptions<4>
interface Paseto {
  root: Root
  v4: V4Public
  verify: (key: PasetoPublicKey, token: string, options: ConsumeOptions) => Promise<{ claims: Record<string, unknown> }>
}

let loading: Promise<Paseto> | undefined
export function loadPaseto(): Promise<Paseto> {
  loading ??= Promise.all([import('paseto'), import('paseto/v4/public')]).then(([root, v4]) => {
    const protocol = new root.PublicProtocol(v4.VerifyFactory)
    return { root, v4, verify: (key, token, options) => protocol.Verify(key, token, options) }
  })
  return loading
}

const PREFIX = 'v4.public.'
const SEGMENT = /^[A-Za-z0-9_-]+$/
const KID = /^[A-Za-z0-9._-]{1,128}$/
const MAX_FOOTER_LENGTH = 512
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

const refuse = (code: (typeof TOKEN_ERROR_CODES)[keyof typeof TOKEN_ERROR_CODES], message: string, cause?: unknown): never => {
  throw new GatehouseTokenError(code, message, cause === undefined ? {} : { cause })
}

/** Shape checks before any cryptography: only v4.public, with a footer naming a plain kid. */
function kidOf(token: unknown, maxTokenLength: number): string {
  if (typeof token !== 'string' || token.length === 0) refuse(TOKEN_ERROR_CODES.tokenMissing, 'no token')
  const text = token as string
  if (text.length > maxTokenLength) refuse(TOKEN_ERROR_CODES.tokenTooLong, `token longer than ${maxTokenLength} characters`)
  const parts = text.split('.')
  if (!text.startsWith(PREFIX)) {
    // v4.local, v3.public, v2.*: another version or purpose than the one the gateway mints.
    if (parts.length >= 3 && /^v\d+$/.test(parts[0]!) && /^(local|public)$/.test(parts[1]!)) {
      refuse(TOKEN_ERROR_CODES.algNotAllowed, 'only PASETO v4.public tokens are accepted')
    }
    refuse(TOKEN_ERROR_CODES.tokenMalformed, 'not a PASETO v4.public token')
  }
  if (parts.length !== 4 || !SEGMENT.test(parts[2]!) || !SEGMENT.test(parts[3]!)) {
    refuse(TOKEN_ERROR_CODES.tokenMalformed, 'a v4.public token with a key id footer is expected')
  }
  const footer = parts[3]!
  if (footer.length > MAX_FOOTER_LENGTH || footer.length % 4 === 1) refuse(TOKEN_ERROR_CODES.kidInvalid, 'footer too long or not base64url')
  let value: unknown
  try {
    value = JSON.parse(strictUtf8.decode(base64url.decode(footer)))
  } catch (cause) {
    refuse(TOKEN_ERROR_CODES.kidInvalid, 'the footer is not JSON', cause)
  }
  const members = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : []
  const kid = (value as { kid?: unknown } | null)?.kid
  // Only a kid: a footer carrying a key (wpk, a JWK…) would let the token choose its own key.
  if (members.length !== 1 || typeof kid !== 'string' || !KID.test(kid) || kid.includes('..')) {
    refuse(TOKEN_ERROR_CODES.kidInvalid, 'the footer must be {"kid": <plain identifier>}')
  }
  return kid as string
}

/** RFC 3339 strings (PASETO's registered time claims) to seconds, for the shared claim rules. */
function withNumericDates(claims: Record<string, unknown>): Record<string, unknown> {
  const out = { ...claims }
  for (const name of ['exp', 'iat', 'nbf']) {
    const value = claims[name]
    if (value === undefined) continue
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) throw new GatehouseTokenError(TOKEN_ERROR_CODES.claimInvalid, `${name} must be an RFC 3339 date`, { claim: name })
    out[name] = ms / 1000
  }
  return out
}

/** The message of a v4.public token whose signature the paseto package has already checked. */
function verifiedMessage(token: string): Record<string, unknown> {
  const bytes = base64url.decode(token.split('.')[2]!)
  return JSON.parse(strictUtf8.decode(bytes.subarray(0, bytes.length - 64))) as Record<string, unknown>
}

/** Verifies PASETO v4.public access tokens with the same keys and claim rules as the JWTs. */
export function createPasetoVerify(config: ResolvedVerifierOptions, keys: KeyResolver): (token: string) => Promise<GatehouseClaims> {
  const wrapped = new WeakMap<CryptoKey, Promise<PasetoPublicKey>>()
  // Start loading now: a missing `paseto` install shows at the first verify, not later.
  const paseto = loadPaseto()
  paseto.catch(() => {})

  return async (token) => {
    const kid = kidOf(token, config.maxTokenLength)
    const key = await keys.resolve(kid, 'EdDSA')
    const { root, v4, verify } = await paseto
    let publicKey = wrapped.get(key)
    if (publicKey === undefined) wrapped.set(key, (publicKey = v4.PublicKeyFromCryptoKey(key)))
    const now = config.now()
    const context = {
      issuer: config.issuer,
      audience: config.audience,
      now: now.getTime() / 1000,
      clockToleranceSeconds: config.clockToleranceSeconds,
    }
    let claims: Record<string, unknown>
    try {
      ;({ claims } = await verify(await publicKey, token, { now, clockTolerance: config.clockToleranceSeconds, allowNonExpiring: true }))
    } catch (cause) {
      if (cause instanceof root.ClaimValidationError) {
        // The signature held (claims are checked after it): say precisely what the claims break.
        validateClaims(withNumericDates(verifiedMessage(token)), context)
        throw new GatehouseTokenError(TOKEN_ERROR_CODES.claimInvalid, 'claims refused', { cause })
      }
      throw new GatehouseTokenError(TOKEN_ERROR_CODES.signatureInvalid, 'signature verification failed', { cause })
    }
    return validateClaims(withNumericDates(claims), context)
  }
}
