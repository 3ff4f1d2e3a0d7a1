import { compactVerify, errors, type CryptoKey } from 'jose'
import { validateClaims, type GatehouseClaims } from './claims.js'
import { decodeJsonObject, parsePayload, splitCompact } from './compact.js'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'
import { checkHeader } from './header-checks.js'
import { createLocalKeyResolver, type KeyResolver } from './jwks.js'
import { resolveVerifierOptions, type GatehouseAlgorithm, type VerifierOptions } from './options.js'
import { createPasetoVerify } from './paseto.js'
import { createRemoteKeyResolver } from './remote-jwks.js'
import { RevocationFollower, type RevocationStatus } from './revocation-follower.js'

export interface GatehouseVerifier {
  /** Resolves with the token's claims, or rejects with a GatehouseTokenError. */
  verify(token: string): Promise<GatehouseClaims>
  /** Present when created with `revocations`: the followed feed, for health checks and shutdown. */
  readonly revocations?: RevocationFeedHandle | undefined
}

export interface RevocationFeedHandle {
  /** For the service's health check: staleness, mode, entries held. */
  status(): RevocationStatus
  /** Resolves once the feed has been read to its end the first time (await it before listening to be strict from the start). */
  ready(): Promise<void>
  /** Stops following (shutdown, tests). */
  close(): void
}

async function verifySignature(token: string, key: CryptoKey, alg: GatehouseAlgorithm): Promise<Uint8Array> {
  try {
    // Pinned to the one alg the header announced and the key was chosen for.
    const { payload } = await compactVerify(token, key, { algorithms: [alg] })
    return payload
  } catch (cause) {
    if (cause instanceof errors.JWSInvalid) {
      throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenMalformed, 'token is not a valid JWS', { cause })
    }
    // Anything else, including a key jose refuses for this alg, fails closed as a bad signature.
    throw new GatehouseTokenError(TOKEN_ERROR_CODES.signatureInvalid, 'signature verification failed', { cause })
  }
}

/**
 * Builds a verifier for Gatehouse access tokens. Options are checked here,
 * once: a misconfiguration throws a TypeError at startup, not per request.
 */
export function createVerifier(options: VerifierOptions): GatehouseVerifier {
  const config = resolveVerifierOptions(options)
  const keys: KeyResolver =
    config.keySource.kind === 'remote'
      ? createRemoteKeyResolver(config.keySource, config.now)
      : createLocalKeyResolver(config.keySource.keys)

  const verifyPaseto = config.format === 'paseto' ? createPasetoVerify(config, keys) : undefined

  async function verify(token: string): Promise<GatehouseClaims> {
    if (verifyPaseto !== undefined) {
      const claims = await verifyPaseto(token)
      checkRevocation(claims.sid, config.now().getTime() / 1000)
      return claims
    }
    // Cheap, local refusals first: only a token that passes them may cost a key lookup or a JWKS fetch.
    const parts = splitCompact(token, config.maxTokenLength)
    const { alg, kid } = checkHeader(decodeJsonObject(parts.header, 'header'), config.algorithms)
    const key = await keys.resolve(kid, alg)
    const payload = parsePayload(await verifySignature(token, key, alg))
    const now = config.now().getTime() / 1000
    const claims = validateClaims(payload, {
      issuer: config.issuer,
      audience: config.audience,
      now,
      clockToleranceSeconds: config.clockToleranceSeconds,
    })
    checkRevocation(claims.sid, now)
    return claims
  }

  const follower =
    config.revocations === undefined
      ? undefined
      : new RevocationFollower({
          url: config.revocations.url,
          fetch: config.revocations.fetch,
          now: config.now,
          maxStalenessMs: config.revocations.maxStalenessMs,
          pollIntervalMs: config.revocations.pollIntervalMs,
          toleranceMs: config.clockToleranceSeconds * 1000,
        })
  const refuseWhenStale = config.revocations?.onStale !== 'accept'

  function checkRevocation(sid: string, now: number) {
    if (follower === undefined) return
    // A revocation we know of is refused whatever the feed's state.
    if (follower.isRevoked(sid, now)) throw new GatehouseTokenError(TOKEN_ERROR_CODES.tokenRevoked, 'the session of this token was revoked')
    if (refuseWhenStale && follower.isStale()) {
      throw new GatehouseTokenError(TOKEN_ERROR_CODES.revocationsStale, 'the revocation feed has not been heard from for too long')
    }
  }

  const revocations: RevocationFeedHandle | undefined =
    follower === undefined
      ? undefined
      : Object.freeze({ status: () => follower.status(), ready: () => follower.ready(), close: () => follower.close() })

  return Object.freeze({ verify, revocations })
}
