import type { RefreshTokenStore } from '@gatehouse/store'
import { TokenError } from './errors.js'
import type { KeyManager } from './key-manager.js'
import type { SigningKey } from './key-material.js'
import type { MasterKeyCipher } from './master-key.js'
import type { Clock, TokenAudit } from './ports.js'
import { createRefreshChain, type RefreshChain } from './refresh-chain.js'
import type { AccessClaims } from './access-claims.js'
import { createPasetoSigner } from './paseto-signer.js'
import { createTokenCache, type CachedToken } from './token-cache.js'
import { createTokenIdSource } from './token-ids.js'

/** GATEHOUSE_TOKEN_FORMAT: RFC 9068 JWTs, or the same claims as PASETO v4.public. */
export type TokenFormat = 'jwt' | 'paseto'

/** Whom a token is for: what the session middleware resolved. */
export interface TokenSubject {
  sessionId: string
  userId: string
  roles: readonly string[]
}

export interface TokenIssuerOptions {
  store: RefreshTokenStore
  keys: Pick<KeyManager, 'signingKey'>
  cipher: MasterKeyCipher
  clock: Clock
  /** `iss`: the public origin. */
  issuer: string
  /** GATEHOUSE_ACCESS_TTL. */
  accessTtlS: number
  /** Default 'jwt'. */
  format?: TokenFormat
  audit?: TokenAudit
  /** The gateway's session revocation (reason 'reuse_detected'), so every cache drops the session. */
  revokeSession(subject: { sessionId: string; userId: string }): Promise<void>
  /**
   * A cached token is reused while more than this share of its lifetime remains: the floor,
   * never renewed later than this. Default 0.2.
   */
  renewWhenRemaining?: number
  /**
   * Spread: each minted token gets its own renewal point, when less than a share drawn in
   * [renewWhenRemaining, renewWhenRemaining + renewJitter) of its life remains, so sessions
   * whose tokens were minted together renew over a window, not together. Default 0.2: with
   * 300 s tokens (GATEHOUSE_ACCESS_TTL's minimum) a cohort renews over one minute, between 60%
   * and 80% of their life. 0 turns it off.
   */
  renewJitter?: number
  /** Uniform in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number
  /** Sessions whose tokens are cached at most. Default 20 000. */
  maxCachedSessions?: number
}

export interface TokenIssuer {
  /**
   * An RFC 9068 access token for `audience` (the upstream's name), from the cache while it has
   * life left, else minted by renewing the session's refresh token. ERR_SESSION_ENDED for a
   * session that ended. `fresh` skips the cache (and joining a mint already under way).
   */
  tokenFor(subject: TokenSubject, audience: string, options?: { fresh?: boolean }): Promise<string>
  /** Drops every cached token of these sessions; wired to the session manager's revocations. */
  forgetSessions(sessionIds: Iterable<string>): void
  /** The sessions' refresh-token chains. */
  readonly refreshTokens: RefreshChain
}

const CLIENT_ID = 'gatehouse'

interface Mint {
  promise: Promise<CachedToken>
  userId: string
  rolesKey: string
  /** Set when the session was revoked while this mint ran: its token is then not cached. */
  dropped: boolean
}

export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const { keys, clock, issuer, accessTtlS } = options
  if (!Number.isSafeInteger(accessTtlS) || accessTtlS < 1) throw new TypeError('accessTtlS must be a positive integer')
  const renewWhenRemaining = options.renewWhenRemaining ?? 0.2
  if (!(renewWhenRemaining >= 0 && renewWhenRemaining < 1)) throw new TypeError('renewWhenRemaining must be in [0, 1)')
  const renewJitter = options.renewJitter ?? 0.2
  if (!(renewJitter >= 0 && renewWhenRemaining + renewJitter < 1)) throw new TypeError('renewJitter must be >= 0, and below 1 with renewWhenRemaining')
  const random = options.random ?? Math.random
  const format = options.format ?? 'jwt'
  if (format !== 'jwt' && format !== 'paseto') throw new TypeError('format must be "jwt" or "paseto"')
  const sign = format === 'paseto' ? createPasetoSigner() : (key: SigningKey, claims: AccessClaims) => key.signJwt(claims)
  const cache = createTokenCache(options.maxCachedSessions ?? 20_000)
  const tokenId = createTokenIdSource()
  const refreshTokens = createRefreshChain(options)
  // Mints under way per session and audience: parallel requests that all miss the cache wait
  // for one renewal and one signature instead of racing each other.
  const minting = new Map<string, Map<string, Mint>>()

  async function mint(subject: TokenSubject, audience: string): Promise<CachedToken> {
    // Renew first: an ended session fails here, before anything is signed.
    await refreshTokens.renew(subject)
    const key = await keys.signingKey()
    const now = clock.now()
    const iat = Math.floor(now / 1000)
    const exp = iat + accessTtlS
    const jti = tokenId()
    const claims: AccessClaims = { iss: issuer, aud: audience, sub: subject.userId, sid: subject.sessionId, roles: [...subject.roles], client_id: CLIENT_ID, jti, iat, exp }
    const token = await sign(key, claims)
    // Its own renewal point, drawn per mint (see renewJitter); never later than the floor.
    const share = renewWhenRemaining + renewJitter * Math.min(Math.max(random(), 0), 1)
    const renewAt = exp * 1000 - Math.ceil(share * accessTtlS * 1000)
    return { token, kid: key.kid, userId: subject.userId, rolesKey: subject.roles.join('\n'), issuedAt: iat * 1000, expiresAt: exp * 1000, renewAt }
  }

  function usable(entry: CachedToken | undefined, subject: TokenSubject, rolesKey: string, kid: string, now: number): entry is CachedToken {
    if (entry === undefined || entry.userId !== subject.userId || entry.rolesKey !== rolesKey) return false
    // After any rotation, mint with the new key: after an emergency one the old tokens fail.
    if (entry.kid !== kid) return false
    return now < entry.renewAt
  }

  return {
    refreshTokens,

    async tokenFor(subject, audience, { fresh = false } = {}) {
      if (typeof audience !== 'string' || audience.length === 0) throw new TypeError('audience must be a non-empty string')
      const rolesKey = subject.roles.join('\n')
      if (fresh) return (await mint(subject, audience)).token

      const { kid } = await keys.signingKey()
      const cached = cache.get(subject.sessionId, audience)
      if (usable(cached, subject, rolesKey, kid, clock.now())) return cached.token

      let perSession = minting.get(subject.sessionId)
      const running = perSession?.get(audience)
      if (running !== undefined && !running.dropped && running.userId === subject.userId && running.rolesKey === rolesKey) {
        return (await running.promise).token
      }
      const m: Mint = { promise: mint(subject, audience), userId: subject.userId, rolesKey, dropped: false }
      if (perSession === undefined) minting.set(subject.sessionId, (perSession = new Map()))
      perSession.set(audience, m)
      try {
        const entry = await m.promise
        if (!m.dropped) cache.set(subject.sessionId, audience, entry)
        return entry.token
      } catch (error) {
        if (error instanceof TokenError && (error.code === 'ERR_SESSION_ENDED' || error.code === 'ERR_REFRESH_TOKEN_REUSED')) {
          cache.forget([subject.sessionId])
        }
        throw error
      } finally {
        if (perSession.get(audience) === m) perSession.delete(audience)
        if (perSession.size === 0 && minting.get(subject.sessionId) === perSession) minting.delete(subject.sessionId)
      }
    },

    forgetSessions(sessionIds) {
      const ids = [...sessionIds]
      cache.forget(ids)
      refreshTokens.forget(ids)
      for (const id of ids) {
        for (const m of minting.get(id)?.values() ?? []) m.dropped = true
        minting.delete(id)
      }
    },
  }
}
