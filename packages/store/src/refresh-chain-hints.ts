import type { RefreshTokenRecord } from './types.js'

/**
 * What the session lookup saw of each session's refresh chain, so that a session's first
 * renewal on this process is one statement (the compare-and-set) instead of two (a read of the
 * chain's current row, then the compare-and-set): on Postgres a round trip less, on SQLite a
 * read less. The lookup reads the current row in the same statement; the first renewal takes
 * it once, if it is at most MAX_AGE_MS old. Both dialects' stores keep one.
 *
 * A hint is only a belief (RefreshChainStartResult `recent`): when the chain moved on since,
 * the compare-and-set fails and the renewal reads the row, as with a stale remembered
 * generation. It never stands in for the session's liveness, which the compare-and-set checks.
 */
const MAX_AGE_MS = 2_000
const MAX_HINTS = 10_000

export interface RefreshChainHints {
  /** The lookup's view: the chain's current row, or none (then a stale hint is dropped). */
  note(sessionId: string, row: { tokenHash: string; generation: number; createdAt: number } | null): void
  /** The session's hint if fresh, removed: each is believed once. */
  take(sessionId: string): RefreshTokenRecord | undefined
}

export function createRefreshChainHints(elapsedMs: () => number = () => performance.now()): RefreshChainHints {
  const hints = new Map<string, { tokenHash: string; generation: number; createdAt: number; seenAt: number }>()
  return {
    note(sessionId, row) {
      if (row === null) {
        hints.delete(sessionId)
        return
      }
      if (hints.size >= MAX_HINTS) hints.clear()
      hints.set(sessionId, { tokenHash: row.tokenHash, generation: row.generation, createdAt: row.createdAt, seenAt: elapsedMs() })
    },
    take(sessionId) {
      const hint = hints.get(sessionId)
      if (hint === undefined) return undefined
      hints.delete(sessionId)
      if (elapsedMs() - hint.seenAt > MAX_AGE_MS) return undefined
      return { tokenHash: hint.tokenHash, sessionId, generation: hint.generation, createdAt: hint.createdAt, consumedAt: null, replacedBy: null }
    },
  }
}
