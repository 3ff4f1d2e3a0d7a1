/**
 * How a gateway learns that sessions ended elsewhere (another gateway on the same store, or the
 * CLI), so that whatever it caches about a session in memory is dropped at once. The store's
 * rows stay the truth; the feed only makes caches honest without a round trip per request.
 */
export interface RevocationFeed {
  /** Announces ended sessions to every other process on this store. */
  publishRevoked(sessionIds: string[]): Promise<void>
  /** Calls back with session ids ended by any other process; returns an unsubscribe function. */
  onRevoked(listener: (sessionIds: string[]) => void): () => void
}
