import type { RevocationFeedStore } from '@gatehouse/store'
import type { Clock } from '../clock.js'

/**
 * Beyond GATEHOUSE_ACCESS_TTL, how long an entry stays in the feed: clocks of gateways and
 * services may disagree, a token may be signed a moment after its session was checked, and a
 * verifier accepts a token up to its own clock tolerance (at most 60 s in @gatehouse/verify).
 */
export const REVOCATION_SKEW_S = 60

/** Entries per JSON page and per stream event. */
export const FEED_PAGE_SIZE = 10_000

/** One revoked session: refuse its tokens until `exp` (seconds since the epoch, like a JWT's). */
export interface FeedEntry {
  sid: string
  exp: number
}

export interface FeedPage {
  entries: FeedEntry[]
  /** Resume with `?after=<cursor>` (or `Last-Event-ID`): nothing committed before it is missed. */
  cursor: string
  /** More entries are waiting: ask again at once with this cursor. */
  more: boolean
}

export type FeedReader = (after: number, limit?: number) => Promise<FeedPage>

/**
 * Reads the feed as services see it: the store's entries that still matter, each with the time
 * after which no token minted for its session can verify any more.
 */
export function createFeedReader(store: Pick<RevocationFeedStore, 'listRevocations'>, clock: Clock, accessTtlS: number): FeedReader {
  const windowMs = (accessTtlS + REVOCATION_SKEW_S) * 1000
  return async (after, limit = FEED_PAGE_SIZE) => {
    const { entries, head } = await store.listRevocations({ after, endedSince: clock.now() - windowMs, limit })
    const more = entries.length === limit
    const cursor = more ? entries[entries.length - 1]!.seq : Math.max(after, head)
    return {
      entries: entries.map((e) => ({ sid: e.sessionId, exp: Math.ceil((e.endedAt + windowMs) / 1000) })),
      cursor: String(cursor),
      more,
    }
  }
}

/** A cursor is the decimal seq the feed handed out; anything else is refused (null). */
export function parseCursor(value: string | undefined): number | null {
  if (value === undefined || value === '') return 0
  if (!/^\d{1,15}$/.test(value)) return null
  return Number(value)
}
