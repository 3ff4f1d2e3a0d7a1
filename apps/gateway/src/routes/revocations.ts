import { Hono, type Context } from 'hono'
import { compress } from 'hono/compress'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import type { FeedHub } from '../revocations/feed-hub.js'
import { parseCursor, type FeedPage, type FeedReader } from '../revocations/feed-reader.js'

export const REVOCATIONS_PATH = '/.well-known/gatehouse/revocations'

/** Advised to EventSource clients: reconnect after this many ms. */
const RETRY_MS = 1000

function cursorOf(c: Context<AppEnv>): number {
  // An EventSource resends the last event id by itself when it reconnects.
  const raw = c.req.query('after') ?? c.req.header('last-event-id')
  const cursor = parseCursor(raw)
  if (cursor === null) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'the cursor must be one the feed handed out' })
  return cursor
}

const wantsStream = (accept: string | undefined) => accept !== undefined && accept.toLowerCase().includes('text/event-stream')

async function sendPage(stream: SSEStreamingApi, page: FeedPage) {
  await stream.writeSSE({ event: 'revocations', id: page.cursor, data: JSON.stringify({ entries: page.entries, more: page.more }) })
}

/**
 * The public revocation feed (CONTRACT section 3): sessions revoked while tokens minted for them
 * may still be unexpired. A JSON page by default; `Accept: text/event-stream` streams the same
 * pages as they happen, after catching up from the cursor. Nothing secret, no user data.
 */
export function revocationRoutes(read: FeedReader, hub: FeedHub) {
  const app = new Hono<AppEnv>()
  app.get(REVOCATIONS_PATH, compress({ threshold: 4096 }), async (c) => {
    let cursor = cursorOf(c)
    const versionAtRead = hub.version
    // Read before answering: a store that cannot answer is the 503 of every route while the
    // store is down (on-error.ts), not a stream that says nothing.
    let page = await read(cursor)
    if (!wantsStream(c.req.header('accept'))) return c.json(page, 200, { 'cache-control': 'no-store' })

    const unsubscribe = hub.subscribe()
    c.header('x-accel-buffering', 'no')
    c.header('cache-control', 'no-store')
    return streamSSE(c, async (stream) => {
      let open = true
      let stopWaiting: () => void = () => {}
      const aborted = new Promise<'aborted'>((resolve) => (stopWaiting = () => resolve('aborted')))
      stream.onAbort(() => {
        open = false
        stopWaiting()
      })
      // The hub's version when this stream last read: a change seen since means read again.
      let readAt = versionAtRead
      try {
        await stream.write(`retry: ${RETRY_MS}\n\n`)
        // Catch up page by page; the last (possibly empty) page tells the client it is current.
        for (;;) {
          await sendPage(stream, page)
          cursor = Number(page.cursor)
          if (!page.more) break
          page = await read(cursor)
        }
        while (open) {
          // A change the hub saw while this stream was busy writing: read at once, do not wait.
          const signal = hub.version !== readAt ? 'changed' : await Promise.race([hub.next(), aborted])
          if (signal === 'aborted' || signal === 'closed' || signal === 'failed') break
          if (signal === 'heartbeat') {
            await stream.write(': alive\n\n')
            continue
          }
          readAt = hub.version
          do {
            page = await read(cursor)
            if (page.entries.length > 0 || page.cursor !== String(cursor)) await sendPage(stream, page)
            cursor = Number(page.cursor)
          } while (page.more && open)
        }
      } catch {
        // The store failed mid-stream: end it; the client reconnects with its cursor.
      } finally {
        unsubscribe()
      }
    })
  })
  return app
}
