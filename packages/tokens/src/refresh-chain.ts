import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { RefreshTokenRecord, RefreshTokenStore } from '@gatehouse/store'
import { TokenError } from './errors.js'
import type { MasterKeyCipher } from './master-key.js'
import type { Clock, TokenAudit } from './ports.js'

/**
 * Each session's server-side refresh-token chain. Every access token the gateway mints is a
 * renewal: the session's current refresh token is consumed and its successor stored, in one
 * compare-and-set in the store. The browser never sees these tokens.
 *
 * Where the plaintext comes from. The store keeps only SHA-256 hashes, and no process keeps the
 * plaintext either: it is *derived* when needed,
 *
 *     token(session, n) = "<n>.<HMAC-SHA256(K, session id, n)>"
 *
 * with K an HKDF subkey of GATEHOUSE_MASTER_KEY. The current token's plaintext is
 * token(session, generation of the unconsumed row), which any gateway process, after any
 * restart, can compute, and nobody holding only the database (a dump, a backup, a read-only
 * injection) can. A presented token carries its generation, so its successor is
 * token(session, n + 1) and a forged or mangled one fails the HMAC check before the store is
 * asked.
 *
 * The grace rule (races are not thefts). Parallel requests of one session, in one process or in
 * several gateways on one database, may all read generation n and present token n together.
 * The store lets exactly one consume it; the others find it consumed. A consumed token counts as
 * a race, not a reuse, when it HAS a successor (it was consumed by a renewal, not otherwise
 * invalidated) and was consumed at most RACE_WINDOW_MS (30 s) ago by the presenter's clock
 * (so some clock skew between gateways is tolerated too). A race loser mints its access token
 * anyway: the session was found live and its chain advanced an instant ago. Anything older is
 * a replay of a token that leaked: the session is revoked ('reuse_detected') and audited.
 * Since the plaintext is re-derived from the store's current row on every renewal, a gateway
 * never presents a stale token of its own beyond the time one renewal takes.
 */
export const RACE_WINDOW_MS = 30_000
const DERIVATION_INFO = 'gatehouse refresh-token derivation v1'

export interface RefreshTokenHandle {
  generation: number
  token: string
}

export type RenewalResult =
  /** This renewal consumed the presented token; `generation` is its successor's. */
  | { renewed: true; generation: number }
  /** A concurrent renewal consumed it just before (see the grace rule). */
  | { renewed: false; race: true }

export interface RefreshChainOptions {
  store: RefreshTokenStore
  clock: Clock
  cipher: MasterKeyCipher
  audit?: TokenAudit
  /** Revokes the whole family: the gateway's session revocation, so its caches drop too. */
  revokeSession(subject: { sessionId: string; userId: string }): Promise<void>
  raceWindowMs?: number
}

export interface RefreshChain {
  /** The session's current token, starting the chain if it has none. ERR_SESSION_ENDED for an ended session. */
  current(sessionId: string): Promise<RefreshTokenHandle>
  /**
   * Consumes `presented` (by default the current token) and stores its successor. A consumed
   * token outside the race window revokes the session and throws ERR_REFRESH_TOKEN_REUSED.
   */
  renew(subject: { sessionId: string; userId: string }, presented?: string): Promise<RenewalResult>
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex')

export function createRefreshChain(options: RefreshChainOptions): RefreshChain {
  const { store, clock, audit } = options
  const key = options.cipher.subkey(DERIVATION_INFO)
  const raceWindowMs = options.raceWindowMs ?? RACE_WINDOW_MS

  const mac = (sessionId: string, generation: number) => createHmac('sha256', key).update(`${sessionId}\n${generation}`).digest()
  const derive = (sessionId: string, generation: number) => `${generation}.${mac(sessionId, generation).toString('base64url')}`

  /** The generation of a token of this session's chain, or null for anything else. */
  function generationOf(sessionId: string, token: string): number | null {
    const match = /^(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/.exec(token)
    if (match === null) return null
    const generation = Number(match[1])
    const given = Buffer.from(match[2]!, 'base64url')
    return given.length === 32 && timingSafeEqual(given, mac(sessionId, generation)) ? generation : null
  }

  const isRace = (consumed: RefreshTokenRecord, now: number) =>
    consumed.replacedBy !== null && consumed.consumedAt !== null && now - consumed.consumedAt <= raceWindowMs

  async function current(sessionId: string): Promise<RefreshTokenHandle> {
    let row = await store.findCurrentRefreshToken(sessionId)
    if (row === null) {
      // First token of this session; of racing starters one inserts, all then read the same row.
      await store.startRefreshChain({ sessionId, tokenHash: sha256(derive(sessionId, 0)), now: clock.now() })
      row = await store.findCurrentRefreshToken(sessionId)
      if (row === null) throw new TokenError('ERR_SESSION_ENDED', 'the session has ended')
    }
    const token = derive(sessionId, row.generation)
    if (sha256(token) !== row.tokenHash) {
      throw new TokenError('ERR_MASTER_KEY_MISMATCH', 'GATEHOUSE_MASTER_KEY does not derive the refresh tokens in the store')
    }
    return { generation: row.generation, token }
  }

  return {
    current,
    async renew(subject, presented) {
      const { sessionId } = subject
      const generation = presented === undefined ? (await current(sessionId)).generation : generationOf(sessionId, presented)
      if (generation === null) throw new TokenError('ERR_REFRESH_TOKEN_UNKNOWN', 'not a refresh token of this session')
      const now = clock.now()
      const result = await store.renewRefreshToken({
        sessionId,
        presentedHash: sha256(presented ?? derive(sessionId, generation)),
        successorHash: sha256(derive(sessionId, generation + 1)),
        now,
      })
      switch (result.outcome) {
        case 'renewed':
          return { renewed: true, generation: result.successor.generation }
        case 'session_ended':
          throw new TokenError('ERR_SESSION_ENDED', 'the session has ended')
        case 'unknown':
          throw new TokenError('ERR_REFRESH_TOKEN_UNKNOWN', 'not a refresh token of this session')
        case 'consumed': {
          if (isRace(result.token, now)) return { renewed: false, race: true }
          await audit?.('refresh_token.reuse_detected', {
            userId: subject.userId,
            sessionId,
            details: { generation: result.token.generation, consumedAt: result.token.consumedAt },
          })
          await options.revokeSession(subject)
          throw new TokenError('ERR_REFRESH_TOKEN_REUSED', 'a consumed refresh token was presented again; the session is revoked')
        }
      }
    },
  }
}
