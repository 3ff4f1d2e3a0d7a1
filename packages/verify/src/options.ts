import type { JSONWebKeySet, JWK } from 'jose'

export const SUPPORTED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const
export type GatehouseAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number]

interface CommonVerifierOptions {
  /** Expected `iss`, compared exactly (the gateway's public origin). */
  issuer: string
  /** This service's name; `aud` must equal it or, as an array, contain it. */
  audience: string
  /**
   * 'jwt' (default): RFC 9068 JWTs. 'paseto': PASETO v4.public tokens only (GATEHOUSE_TOKEN_FORMAT=paseto),
   * verified with the same published Ed25519 keys and claim rules; needs the `paseto` package installed.
   */
  format?: 'jwt' | 'paseto'
  /** Subset of the algorithms the gateway signs with. Default: all of them. */
  algorithms?: readonly GatehouseAlgorithm[]
  /** Allowed clock skew for exp / nbf / iat, in seconds. Default 5, at most 60. */
  clockToleranceSeconds?: number
  /** Tokens longer than this are refused before any decoding. Default 8192. */
  maxTokenLength?: number
  /** The clock. Default: `() => new Date()`. */
  now?: () => Date
  /** Used to fetch `jwksUrl`. Default: the global fetch. */
  fetch?: typeof fetch
  /** How long a fetched JWKS is trusted before it is refetched. Default 300. */
  jwksCacheMaxAgeSeconds?: number
  /** Minimum gap between two JWKS fetches (unknown kids, failures). Default 30. */
  jwksCooldownSeconds?: number
  /** Abort a JWKS fetch after this long. Default 5. */
  jwksTimeoutSeconds?: number
  /**
   * Follow the gateway's revocation feed and refuse tokens of revoked sessions
   * (ERR_TOKEN_REVOKED), with no network call on the verify path.
   */
  revocations?: RevocationOptions
}

export interface RevocationOptions {
  /** The gateway's `/.well-known/gatehouse/revocations`. */
  url: string | URL
  /** Without word from the feed for longer than this, the copy is stale. Default 30. */
  maxStalenessS?: number
  /** While stale: 'refuse' every token (ERR_REVOCATIONS_STALE, the default) or 'accept' them. */
  onStale?: 'refuse' | 'accept'
  /** Between two JSON polls while the event stream cannot be had. Default 1. */
  pollIntervalS?: number
}

export type VerifierOptions = CommonVerifierOptions &
  (
    | { /** The gateway's `/.well-known/jwks.json`. */ jwksUrl: string | URL; jwks?: never }
    | { /** A static key set (tests, air-gapped setups). */ jwks: JSONWebKeySet; jwksUrl?: never }
  )

export type KeySourceOptions =
  | {
      kind: 'remote'
      url: URL
      fetch: typeof fetch
      cacheMaxAgeMs: number
      cooldownMs: number
      timeoutMs: number
    }
  | { kind: 'local'; keys: readonly JWK[] }

export interface ResolvedVerifierOptions {
  format: 'jwt' | 'paseto'
  issuer: string
  audience: string
  algorithms: ReadonlySet<GatehouseAlgorithm>
  clockToleranceSeconds: number
  maxTokenLength: number
  now: () => Date
  keySource: KeySourceOptions
  revocations: ResolvedRevocationOptions | undefined
}

export interface ResolvedRevocationOptions {
  url: URL
  fetch: typeof fetch
  maxStalenessMs: number
  onStale: 'refuse' | 'accept'
  pollIntervalMs: number
}

const KNOWN_OPTIONS = new Set([
  'issuer',
  'audience',
  'jwksUrl',
  'jwks',
  'algorithms',
  'clockToleranceSeconds',
  'maxTokenLength',
  'now',
  'fetch',
  'jwksCacheMaxAgeSeconds',
  'jwksCooldownSeconds',
  'jwksTimeoutSeconds',
  'revocations',
  'format',
])

const REVOCATION_OPTIONS = new Set(['url', 'maxStalenessS', 'onStale', 'pollIntervalS'])

const MAX_CLOCK_TOLERANCE_SECONDS = 60

// Private or symmetric members: a set carrying them is a leak on the gateway's side, never a verification key.
const SECRET_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

function fail(message: string): never {
  throw new TypeError(`@gatehouse/verify: ${message}`)
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(`${name} must be a non-empty string`)
  return value
}

function seconds(value: unknown, name: string, fallback: number, min: number, max: number, minExclusive = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (minExclusive && value === min) || value > max) {
    fail(`${name} must be a number ${minExclusive ? '>' : '>='} ${min} and <= ${max}`)
  }
  return value
}

function resolveAlgorithms(value: unknown): ReadonlySet<GatehouseAlgorithm> {
  if (value === undefined) return new Set(SUPPORTED_ALGORITHMS)
  if (!Array.isArray(value) || value.length === 0) fail('algorithms must be a non-empty array')
  const supported: readonly string[] = SUPPORTED_ALGORITHMS
  for (const alg of value as unknown[]) {
    // Anything else (HS256, none, …) is either unsafe with public keys or never minted by the gateway.
    if (typeof alg !== 'string' || !supported.includes(alg)) {
      fail(`algorithms may only contain ${SUPPORTED_ALGORITHMS.join(', ')}`)
    }
  }
  return new Set(value as GatehouseAlgorithm[])
}

function resolveHttpUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) fail(`${name} must be a string or URL`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(`${name} must be an absolute URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${name} must be http: or https:`)
  return url
}

function resolveRevocations(value: unknown, fetchImpl: typeof fetch | undefined): ResolvedRevocationOptions | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null) fail('revocations must be an object { url, … }')
  for (const name of Object.keys(value)) if (!REVOCATION_OPTIONS.has(name)) fail(`unknown option "revocations.${name}"`)
  const raw = value as Record<string, unknown>
  if (typeof fetchImpl !== 'function') fail('no global fetch available; pass options.fetch')
  const onStale = raw.onStale ?? 'refuse'
  if (onStale !== 'refuse' && onStale !== 'accept') fail('revocations.onStale must be "refuse" or "accept"')
  return {
    url: resolveHttpUrl(raw.url, 'revocations.url'),
    fetch: fetchImpl,
    maxStalenessMs: seconds(raw.maxStalenessS, 'revocations.maxStalenessS', 30, 0, 86_400, true) * 1000,
    onStale,
    pollIntervalMs: seconds(raw.pollIntervalS, 'revocations.pollIntervalS', 1, 0.05, 3600) * 1000,
  }
}

function resolveStaticJwks(value: unknown): readonly JWK[] {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    fail('jwks must be an object { keys: JWK[] }')
  }
  const keys = (value as { keys: unknown[] }).keys
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') fail('every jwks key must be a JWK object')
    if (SECRET_JWK_MEMBERS.some((member) => member in key)) fail('jwks must contain public keys only')
  }
  // A private copy, so the caller mutating their object later cannot swap keys under us.
  return Object.freeze(structuredClone(keys) as JWK[])
}

// An Invalid Date would turn every time comparison into NaN, i.e. false: tokens would never expire.
function checkedClock(now: (() => Date) | undefined): () => Date {
  if (now === undefined) return () => new Date()
  return () => {
    const date = now()
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new TypeError('@gatehouse/verify: now() must return a valid Date')
    return date
  }
}

export function resolveVerifierOptions(options: VerifierOptions): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  for (const name of Object.keys(options)) {
    // A misspelt option (e.g. `algorithm`) silently ignored is worse than a crash at startup.
    if (!KNOWN_OPTIONS.has(name)) fail(`unknown option "${name}"`)
  }
  const raw = options as unknown as Record<string, unknown>

  const hasUrl = raw.jwksUrl !== undefined
  const hasJwks = raw.jwks !== undefined
  if (hasUrl === hasJwks) fail('pass exactly one of jwksUrl or jwks')

  if (raw.now !== undefined && typeof raw.now !== 'function') fail('now must be a function returning a Date')
  if (raw.fetch !== undefined && typeof raw.fetch !== 'function') fail('fetch must be a function')
  const maxTokenLength = raw.maxTokenLength ?? 8192
  if (typeof maxTokenLength !== 'number' || !Number.isSafeInteger(maxTokenLength) || maxTokenLength < 1) {
    fail('maxTokenLength must be a positive integer')
  }

  const cacheMaxAgeSeconds = seconds(raw.jwksCacheMaxAgeSeconds, 'jwksCacheMaxAgeSeconds', 300, 0, 86_400, true)
  const cooldownSeconds = seconds(raw.jwksCooldownSeconds, 'jwksCooldownSeconds', 30, 0, 86_400)
  const timeoutSeconds = seconds(raw.jwksTimeoutSeconds, 'jwksTimeoutSeconds', 5, 0, 600, true)
  const globalFetch: typeof fetch | undefined = globalThis.fetch
  const fetchImpl = (raw.fetch as typeof fetch | undefined) ?? globalFetch
  if (hasUrl && typeof fetchImpl !== 'function') fail('no global fetch available; pass options.fetch')

  const keySource: KeySourceOptions = hasUrl
    ? {
        kind: 'remote',
        url: resolveHttpUrl(raw.jwksUrl, 'jwksUrl'),
        fetch: fetchImpl,
        cacheMaxAgeMs: cacheMaxAgeSeconds * 1000,
        cooldownMs: cooldownSeconds * 1000,
        timeoutMs: timeoutSeconds * 1000,
      }
    : { kind: 'local', keys: resolveStaticJwks(raw.jwks) }

  const format = raw.format ?? 'jwt'
  if (format !== 'jwt' && format !== 'paseto') fail('format must be "jwt" or "paseto"')
  const algorithms = resolveAlgorithms(raw.algorithms)
  if (format === 'paseto' && !algorithms.has('EdDSA')) fail('format "paseto" verifies Ed25519 (v4.public): algorithms must include EdDSA')

  return {
    format,
    issuer: nonEmptyString(raw.issuer, 'issuer'),
    audience: nonEmptyString(raw.audience, 'audience'),
    algorithms,
    clockToleranceSeconds: seconds(raw.clockToleranceSeconds, 'clockToleranceSeconds', 5, 0, MAX_CLOCK_TOLERANCE_SECONDS),
    maxTokenLength,
    now: checkedClock(raw.now as (() => Date) | undefined),
    keySource,
    revocations: resolveRevocations(raw.revocations, fetchImpl),
  }
}
