/** A minted access token as the cache keeps it. Times in epoch milliseconds. */
export interface CachedToken {
  token: string
  kid: string
  userId: string
  /** The roles it carries, joined: a token minted for other roles is never handed out. */
  rolesKey: string
  issuedAt: number
  expiresAt: number
  /** From then on a new one is minted (its own point, spread: see the issuer's renewJitter). */
  renewAt: number
}

/**
 * Minted tokens per (session, audience), in process memory. Bounded: past `maxSessions` the
 * sessions cached longest ago make room. Revocation drops a session's tokens at once.
 */
export interface TokenCache {
  get(sessionId: string, audience: string): CachedToken | undefined
  set(sessionId: string, audience: string, entry: CachedToken): void
  forget(sessionIds: Iterable<string>): void
  /** Sessions with at least one cached token. */
  readonly size: number
}

export function createTokenCache(maxSessions: number): TokenCache {
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) throw new TypeError('maxSessions must be a positive integer')
  const bySession = new Map<string, Map<string, CachedToken>>()
  return {
    get: (sessionId, audience) => bySession.get(sessionId)?.get(audience),
    set(sessionId, audience, entry) {
      let tokens = bySession.get(sessionId)
      if (tokens === undefined) {
        tokens = new Map()
        bySession.set(sessionId, tokens)
        // Maps iterate in insertion order: the first key is the session cached longest ago.
        while (bySession.size > maxSessions) bySession.delete(bySession.keys().next().value!)
      }
      tokens.set(audience, entry)
    },
    forget(sessionIds) {
      for (const id of sessionIds) bySession.delete(id)
    },
    get size() {
      return bySession.size
    },
  }
}
