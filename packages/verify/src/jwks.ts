import { importJWK, type CryptoKey, type JWK } from 'jose'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'
import type { GatehouseAlgorithm } from './options.js'

export interface KeyResolver {
  /** The verification key for this kid, usable with this alg, or a GatehouseTokenError. */
  resolve(kid: string, alg: GatehouseAlgorithm): Promise<CryptoKey>
}

// Which key may verify which alg. Matching on kid alone would let a token pick
// the algorithm a key is used with (the classic RS256 → HS256 confusion).
const KEY_SHAPE: Record<GatehouseAlgorithm, { kty: string; crv?: string }> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
}

const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

function fits(jwk: JWK, kid: string, alg: GatehouseAlgorithm): boolean {
  const shape = KEY_SHAPE[alg]
  if (jwk.kid !== kid || jwk.kty !== shape.kty) return false
  if (shape.crv !== undefined && jwk.crv !== shape.crv) return false
  if (jwk.alg !== undefined && jwk.alg !== alg) return false
  if (jwk.use !== undefined && jwk.use !== 'sig') return false
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false
  return !SECRET_MEMBERS.some((member) => member in jwk)
}

async function importPublicKey(jwk: JWK, alg: GatehouseAlgorithm): Promise<CryptoKey | undefined> {
  try {
    // A copy: jose freezes JWK objects it is handed, and this one belongs to the key set.
    const key = await importJWK({ ...jwk }, alg)
    if (!('type' in key) || key.type !== 'public') return undefined
    // RS256 below 2048 bits is refused by jose at verify time; refuse it here so it reads as "no usable key".
    const { modulusLength } = key.algorithm as { modulusLength?: number }
    if (alg === 'RS256' && (modulusLength === undefined || modulusLength < 2048)) return undefined
    return key
  } catch {
    // One unusable key must not poison the whole set (e.g. a future key type the gateway starts publishing).
    return undefined
  }
}

/** An immutable snapshot of a key set; keys are imported on first use and kept. */
export class KeyIndex {
  readonly #keys: readonly JWK[]
  readonly #imported = new Map<string, Promise<CryptoKey | undefined>>()

  constructor(keys: readonly JWK[]) {
    this.#keys = keys
  }

  find(kid: string, alg: GatehouseAlgorithm): Promise<CryptoKey | undefined> {
    const cacheKey = `${alg} ${kid}`
    let pending = this.#imported.get(cacheKey)
    if (pending === undefined) {
      pending = this.#importFirstFit(kid, alg)
      this.#imported.set(cacheKey, pending)
    }
    return pending
  }

  async #importFirstFit(kid: string, alg: GatehouseAlgorithm): Promise<CryptoKey | undefined> {
    for (const jwk of this.#keys) {
      if (!fits(jwk, kid, alg)) continue
      const key = await importPublicKey(jwk, alg)
      if (key !== undefined) return key
    }
    return undefined
  }
}

export function keyNotFound(kid: string): GatehouseTokenError {
  return new GatehouseTokenError(TOKEN_ERROR_CODES.keyNotFound, `no usable key for kid "${kid}"`)
}

/** A fixed key set passed as `jwks`. */
export function createLocalKeyResolver(keys: readonly JWK[]): KeyResolver {
  const index = new KeyIndex(keys)
  return {
    async resolve(kid, alg) {
      const key = await index.find(kid, alg)
      if (key === undefined) throw keyNotFound(kid)
      return key
    },
  }
}
