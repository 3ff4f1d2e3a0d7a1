import { randomUUID } from 'node:crypto'
import type { Pool } from 'pg'
import type { FeedInternals, FeedNotice } from './revocation-feed.js'

export interface Announcer {
  /**
   * Tells every other process on the database that these sessions ended or changed, and returns
   * once every gateway holding an unexpired lease confirmed it dropped them, or its lease ran out.
   * Call it after the write committed.
   */
  announce(notice: FeedNotice): Promise<void>
}

interface Holder {
  gatewayId: string
  /** How long its lease still ran when read, by the database's clock. */
  remainingMs: number
}

/**
 * The writer's half of the cache protocol (see gateway-lease.ts for the reader's half):
 * NOTIFY the change with a fresh nonce, then read, AFTER that commit, which gateways hold an
 * unexpired lease, and wait for each one's `<nonce>:<gateway id>` on the ack channel, or for
 * as long as its lease still ran. A dead or paused gateway delays the write by at most its lease;
 * a writer that cannot hear acknowledgements (its listener is down) just waits the leases out.
 */
export function createAnnouncer(options: { pool: Pool; feed: FeedInternals & { ready(): Promise<void> }; now?: () => number }): Announcer {
  const { pool, feed } = options
  const now = options.now ?? (() => performance.now())
  const waiting = new Map<string, (gatewayId: string) => void>()
  feed.onAck((nonce, gatewayId) => waiting.get(nonce)?.(gatewayId))

  return {
    async announce(notice) {
      if (notice.ids.length === 0 && notice.users.length === 0) return
      // Listen for acknowledgements before anyone could send one (the CLI starts its listener here).
      if (!feed.listening()) await feed.ready().catch(() => {})
      const nonce = randomUUID()
      const acked = new Set<string>()
      let wake: () => void = () => {}
      waiting.set(nonce, (gatewayId) => {
        acked.add(gatewayId)
        wake()
      })
      try {
        await pool.query('select pg_notify($1, p) from unnest($2::text[]) with ordinality as t(p, n) order by n', [feed.channel, feed.payloads(notice, nonce)])
        const { rows } = await pool.query<Holder>(
          `select gateway_id as "gatewayId", extract(epoch from expires_at - now())::float8 * 1000 as "remainingMs"
           from gateway_leases where expires_at > now() and gateway_id <> $1`,
          [feed.id],
        )
        const start = now()
        for (;;) {
          const open = rows.filter((r) => !acked.has(r.gatewayId) && now() < start + r.remainingMs)
          if (open.length === 0) return
          const until = Math.min(...open.map((r) => start + r.remainingMs))
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(1, until - now() + 1))
            wake = () => {
              clearTimeout(timer)
              resolve()
            }
          })
        }
      } finally {
        waiting.delete(nonce)
      }
    },
  }
}
