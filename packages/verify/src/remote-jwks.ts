import type { CryptoKey, JWK } from 'jose'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'
import { KeyIndex, keyNotFound, type KeyResolver } from './jwks.js'
import type { GatehouseAlgorithm, KeySourceOptions } from './options.js'

type RemoteOptions = Extract<KeySourceOptions, { kind: 'remote' }>

// A key set is a few KB; anything near this is not a key set.
const MAX_JWKS_BYTES = 1024 * 1024

async function fetchJwks({ url, fetch, timeoutMs }: RemoteOptions): Promise<readonly JWK[]> {
  const response = await fetch(url.href, {
    method: 'GET',
    headers: { accept: 'application/jwk-set+json, application/json' },
    // Never follow: a redirect would let whoever controls it choose our keys.
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new Error(`JWKS endpoint answered HTTP ${response.status}`)
  }
  const declared = Number(response.headers.get('content-length'))
  if (declared > MAX_JWKS_BYTES) {
    await response.body?.cancel()
    throw new Error('JWKS response too large')
  }
  const text = await response.text()
  if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS response too large')
  const body: unknown = JSON.parse(text)
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new Error('JWKS response has no "keys" array')
  return keys.filter((key): key is JWK => typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string')
}

/**
 * The gateway's JWKS, fetched with the injected fetch and clock.
 *
 * Rule: after the first fetch, at most one fetch per cooldown, whatever triggers
 * it (expiry, an unknown kid, a retry after failure). A flood of tokens with
 * made-up kids therefore costs the gateway at most one request per cooldown,
 * and concurrent callers share the fetch in flight.
 * While the gateway is unreachable the last good set keeps being used.
 */
class RemoteKeySet implements KeyResolver {
  readonly #options: RemoteOptions
  readonly #now: () => number
  #index: KeyIndex | undefined
  #fetchedAt = Number.NEGATIVE_INFINITY
  #attemptedAt = Number.NEGATIVE_INFINITY
  #inFlight: Promise<void> | undefined
  #lastError: unknown

  constructor(options: RemoteOptions, now: () => Date) {
    this.#options = options
    this.#now = () => now().getTime()
  }

  async resolve(kid: string, alg: GatehouseAlgorithm): Promise<CryptoKey> {
    if (this.#index === undefined || this.#now() - this.#fetchedAt >= this.#options.cacheMaxAgeMs) {
      await this.#refresh()
    }
    const index = this.#index
    if (index === undefined) throw this.#unavailable()

    const key = await index.find(kid, alg)
    if (key !== undefined) return key

    // Unknown kid: maybe the gateway rotated keys since our last fetch.
    if (!(await this.#refresh())) throw keyNotFound(kid)
    if (this.#index === index) throw this.#unavailable()
    const rotated = await this.#index?.find(kid, alg)
    if (rotated === undefined) throw keyNotFound(kid)
    return rotated
  }

  /** Resolves false when the cooldown forbade a fetch; never rejects. */
  async #refresh(): Promise<boolean> {
    if (this.#inFlight === undefined) {
      if (this.#now() - this.#attemptedAt < this.#options.cooldownMs) return false
      this.#attemptedAt = this.#now()
      this.#inFlight = this.#load().finally(() => {
        this.#inFlight = undefined
      })
    }
    await this.#inFlight
    return true
  }

  async #load(): Promise<void> {
    try {
      const keys = await fetchJwks(this.#options)
      this.#index = new KeyIndex(Object.freeze(keys))
      this.#fetchedAt = this.#now()
      this.#lastError = undefined
    } catch (error) {
      this.#lastError = error
    }
  }

  #unavailable(): GatehouseTokenError {
    return new GatehouseTokenError(TOKEN_ERROR_CODES.jwksUnavailable, 'the gateway key set could not be fetched', {
      cause: this.#lastError,
    })
  }
}

export function createRemoteKeyResolver(options: RemoteOptions, now: () => Date): KeyResolver {
  return new RemoteKeySet(options, now)
}
