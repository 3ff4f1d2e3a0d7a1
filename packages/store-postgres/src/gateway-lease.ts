import type { Pool } from 'pg'
import type { FeedInternals } from './revocation-feed.js'

export interface GatewayLeaseOptions {
  feed: FeedInternals
  /** For the lease row's deletion at close (the listener may be gone by then). */
  pool: Pool
  /** How long a renewal is good for; renewed every third of it. */
  leaseMs: number
  /** Trust ends this long before the lease does, for clock drift and scheduling (default 500 ms). */
  marginMs?: number
  onError?: (error: Error) => void
  /** Monotonic milliseconds; tests may inject their own. */
  now?: () => number
}

export interface GatewayLease {
  /** Whether the cache may answer now: the hot path's only check. */
  trusted(): boolean
  /** Called when trust comes back after any time without it, before it does: the cache clears. */
  onRestore(listener: () => void): void
  /** Renews at once (after a (re)connect; tests). */
  renew(): void
  close(): Promise<void>
}

/**
 * The lease under which this process serves sessions from memory (see session-cache.ts).
 *
 * Each renewal is ONE statement on the LISTEN connection: it upserts this process's row in
 * `gateway_leases` with `expires_at = now() + leaseMs` (the database's clock) and, in the same
 * transaction, NOTIFYs a ping that only this process heeds. Postgres delivers notifications to
 * a listener in commit order, so when the ping comes back every notification committed before
 * the renewal has been handled (dropped from the cache) already. Only then is trust extended,
 * to (the local monotonic time the renewal was SENT) + leaseMs - margin, which ends before the
 * row expires as any writer sees it. A writer that read the row after its own commit and saw it
 * expire without our acknowledgement is therefore safe: a later renewal of ours committed after
 * its announcement and could not restore trust before we had handled it.
 */
export function createGatewayLease(options: GatewayLeaseOptions): GatewayLease {
  const { feed, pool, leaseMs } = options
  const margin = options.marginMs ?? 500
  const now = options.now ?? (() => performance.now())
  const onError = options.onError ?? (() => {})
  const pending = new Map<number, number>()
  const restoreListeners: Array<() => void> = []
  let seq = 0
  let trustedUntil = -Infinity
  let closed = false
  let pruned = false

  const renewal = `with lease as (
      insert into gateway_leases (gateway_id, acquired_at, expires_at)
      values ($1, now(), now() + make_interval(secs => $2::float8 / 1000))
      on conflict (gateway_id) do update set expires_at = excluded.expires_at
      returning 1
    ) select pg_notify($3, $4) from lease`

  let inFlight = false
  const renew = () => {
    // One renewal at a time: a slow one (a locked row, a busy server) is not joined by more.
    if (closed || inFlight || !feed.listening()) return
    inFlight = true
    const n = ++seq
    pending.set(n, now())
    feed
      .queryOnListener(renewal, [feed.id, leaseMs, feed.channel, feed.pingPayload(n)])
      .catch((error: unknown) => {
        pending.delete(n)
        onError(error as Error)
      })
      .finally(() => {
        inFlight = false
      })
    if (!pruned) {
      pruned = true
      // Rows of processes that died without closing: kept an hour for the record, then dropped.
      pool.query(`delete from gateway_leases where expires_at < now() - interval '1 hour'`).catch(() => {})
    }
  }

  feed.onPing((n) => {
    const sent = pending.get(n)
    if (sent === undefined) return
    for (const k of pending.keys()) if (k <= n) pending.delete(k)
    if (!feed.listening()) return
    if (now() >= trustedUntil) for (const listener of restoreListeners) listener()
    trustedUntil = Math.max(trustedUntil, sent + leaseMs - margin)
  })

  feed.onConnection((up) => {
    trustedUntil = -Infinity
    pending.clear()
    inFlight = false
    if (up) renew()
  })

  const timer = setInterval(renew, Math.max(1, Math.floor(leaseMs / 3)))
  timer.unref()
  renew()

  return {
    trusted: () => now() < trustedUntil,
    onRestore: (listener) => void restoreListeners.push(listener),
    renew,
    async close() {
      closed = true
      trustedUntil = -Infinity
      clearInterval(timer)
      // Writers need not wait for a process that is gone.
      await pool.query('delete from gateway_leases where gateway_id = $1', [feed.id]).catch(() => {})
    },
  }
}
