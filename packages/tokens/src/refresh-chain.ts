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
 *
 * Cheap steady renewals. After each renewal the process remembers the session's successor
 * generation, so the next renewal is one compare-and-set presenting token(session, n) without
 * reading the row first. A remembered generation is only this process's belief: when its
 * compare-and-set fails (another process or gateway advanced the chain, or the row was pruned)
 * that is never taken for a reuse; the process forgets it, reads the current row and renews
 * that, as without memory. The first renewal of a session on a process reads the row, and the
 * master-key check runs there (a remembered generation was derived and accepted by the store
 * under this key).
 *
 * Cheap starts. A session has no chain until its first mint, and that first renewal is one store
 * call: when the session is live and has no token, the store inserts token(session, 0) already
 * consumed by token(session, 1) (so every mint still consumes a token) and answers that it
 * started it; otherwise it answers the current row, which the renewal then consumes. Of racing
 * starters (requests, processes, gateways) exactly one starts the chain; the others renew the
 * row it stored, as any parallel renewal. Token 0 never leaves that store call: a presentation
 * of it is a replay like any consumed token's.
 *
 * Bounded rows. Each renewal deletes the session's consumed rows but the last KEEP_LAST ones,
 * when consumed more than the race window ago, and beyond the last KEEP_AT_MOST in any case.
 * A token whose row was deleted is still recognised: it carries its generation and its HMAC,
 * so a genuine token of this session older than the current row is a consumed one, replayed
 * (no race can present it: its row was consumed more than the race window ago, or more than
 * KEEP_AT_MOST renewals happened within it). It revokes the session like any reuse.
 */
export const RACE_WINDOW_MS = 30_000
/** Consumed rows a renewal always keeps (besides the current one). */
export const KEEP_LAST = 2
/** Consumed rows a session keeps at most, however fast it renews. */
export const KEEP_AT_MOST = 32
/** Sessions whose current generation a process remembers at most. */
const MAX_REMEMBERED = 50_000
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
  /** Forgets what this process remembers of these sessions' chains (they ended). */
  forget(sessionIds: Iterable<string>): void
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

  // sessionId -> the generation of its current token, as this process last saw it (insertion
  // order = least recently renewed first, for eviction).
  const remembered = new Map<string, number>()
  function remember(sessionId: string, generation: number) {
    remembered.delete(sessionId)
    remembered.set(sessionId, generation)
    if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!)
  }

  /**
   * The session's chain as this process first meets it: started already renewed (generation 0
   * consumed by 1, one store call) when it has none, else its current row, master-key checked.
   */
  async function open(sessionId: string): Promise<{ started: true; generation: number } | { started: false; generation: number; hash: string; recent: boolean }> {
    // Tokens 0 and 1 matter only if the store starts the chain here; a session that has one (the
    // usual first request on a process) does not pay their two derivations and hashes.
    let pair: readonly [string, string] | undefined
    const hashes = () => (pair ??= [sha256(derive(sessionId, 0)), sha256(derive(sessionId, 1))])
    const started = await store.startRenewedRefreshChain({
      sessionId,
      get firstHash() {
        return hashes()[0]
      },
      get successorHash() {
        return hashes()[1]
      },
      now: clock.now(),
    })
    if (started.started) {
      remember(sessionId, started.successor.generation)
      return { started: true, generation: started.successor.generation }
    }
    const row = started.current
    if (row === null) throw new TokenError('ERR_SESSION_ENDED', 'the session has ended')
    if (sha256(derive(sessionId, row.generation)) !== row.tokenHash) {
      throw new TokenError('ERR_MASTER_KEY_MISMATCH', 'GATEHOUSE_MASTER_KEY does not derive the refresh tokens in the store')
    }
    remember(sessionId, row.generation)
    // The row's hash is token(session, generation)'s, just checked: the renewal presents it as is.
    return { started: false, generation: row.generation, hash: row.tokenHash, recent: started.recent === true }
  }

  async function current(sessionId: string): Promise<RefreshTokenHandle> {
    const { generation } = await open(sessionId)
    return { generation, token: derive(sessionId, generation) }
  }

  /**
   * One compare-and-set presenting token(session, generation) where `generation` is only a
   * belief (remembered, or seen by a lookup an instant ago). Undefined when the belief was stale
   * (the chain advanced elsewhere long ago, or the row was pruned): not a reuse by anyone; the
   * caller reads the current row and renews that, as without memory.
   */
  async function believed(subject: { sessionId: string; userId: string }, generation: number, presentedHash?: string): Promise<RenewalResult | undefined> {
    const { sessionId } = subject
    const now = clock.now()
    const result = await consume(sessionId, generation, presentedHash ?? sha256(derive(sessionId, generation)), now)
    if (result.outcome === 'renewed') {
      remember(sessionId, result.successor.generation)
      return { renewed: true, generation: result.successor.generation }
    }
    if (result.outcome === 'session_ended') {
      remembered.delete(sessionId)
      throw new TokenError('ERR_SESSION_ENDED', 'the session has ended')
    }
    // 'consumed' within the race window: a parallel renewal of this process or another gateway
    // advanced the chain an instant ago, as when the row was read just before.
    if (result.outcome === 'consumed' && isRace(result.token, now)) return { renewed: false, race: true }
    remembered.delete(sessionId)
    return undefined
  }

  const consume = (sessionId: string, generation: number, presentedHash: string, now: number) =>
    store.renewRefreshToken({
      sessionId,
      presentedHash,
      successorHash: sha256(derive(sessionId, generation + 1)),
      now,
      prune: { keepLast: KEEP_LAST, consumedBefore: now - raceWindowMs, keepAtMost: KEEP_AT_MOST },
    })

  async function reuse(subject: { sessionId: string; userId: string }, details: Record<string, unknown>): Promise<never> {
    const { sessionId } = subject
    remembered.delete(sessionId)
    await audit?.('refresh_token.reuse_detected', { userId: subject.userId, sessionId, details })
    await options.revokeSession(subject)
    throw new TokenError('ERR_REFRESH_TOKEN_REUSED', 'a consumed refresh token was presented again; the session is revoked')
  }

  return {
    current,
    forget(sessionIds) {
      for (const id of sessionIds) remembered.delete(id)
    },
    async renew(subject, presented) {
      const { sessionId } = subject
      let generation: number | null
      let presentedHash: string
      if (presented === undefined) {
        // The steady path: one compare-and-set with the remembered generation.
        const known = remembered.get(sessionId)
        if (known !== undefined) {
          const renewed = await believed(subject, known)
          if (renewed !== undefined) return renewed
        }
        // This process's first renewal of the session (or its memory was stale): a chain that
        // had none is started renewed; else its current row, read now or as this process's
        // session lookup saw it an instant ago (`recent`: believed like a remembered generation).
        let opened = await open(sessionId)
        if (opened.started) return { renewed: true, generation: opened.generation }
        if (opened.recent) {
          const renewed = await believed(subject, opened.generation, opened.hash)
          if (renewed !== undefined) return renewed
          opened = await open(sessionId)
          if (opened.started) return { renewed: true, generation: opened.generation }
        }
        generation = opened.generation
        presentedHash = opened.hash
      } else {
        generation = generationOf(sessionId, presented)
        if (generation === null) throw new TokenError('ERR_REFRESH_TOKEN_UNKNOWN', 'not a refresh token of this session')
        presentedHash = sha256(presented)
      }
      const now = clock.now()
      const result = await consume(sessionId, generation, presentedHash, now)
      switch (result.outcome) {
        case 'renewed':
          remember(sessionId, result.successor.generation)
          return { renewed: true, generation: result.successor.generation }
        case 'session_ended':
          remembered.delete(sessionId)
          throw new TokenError('ERR_SESSION_ENDED', 'the session has ended')
        case 'unknown': {
          // A genuine token of this chain (its HMAC checked) with no row: if the chain is past
          // it, its row was consumed and then pruned, so this is a replay.
          // (Only for a presented token: one derived from the row just read is this process's own.)
          const row = presented === undefined ? null : await store.findCurrentRefreshToken(sessionId)
          if (row !== null && row.generation > generation) return reuse(subject, { generation, consumedAt: null, pruned: true })
          throw new TokenError('ERR_REFRESH_TOKEN_UNKNOWN', 'not a refresh token of this session')
        }
        case 'consumed': {
          if (isRace(result.token, now)) return { renewed: false, race: true }
          return reuse(subject, { generation: result.token.generation, consumedAt: result.token.consumedAt })
        }
      }
    },
  }
}
