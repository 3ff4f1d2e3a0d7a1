import { randomUUID } from 'node:crypto'
import { Client, type ClientConfig, type Notification, type Pool } from 'pg'
import type { RevocationFeed } from '@gatehouse/store'

/** NOTIFY refuses a payload of 8000 bytes or more (the server's default build). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999
export const DEFAULT_REVOCATION_CHANNEL = 'gatehouse_revocations'

export interface PostgresRevocationFeed extends RevocationFeed {
  /**
   * Resolves once this process is listening. The first `onRevoked` starts the listener; a test
   * (or a start-up that must not miss anything) awaits this before relying on delivery.
   */
  ready(): Promise<void>
  /**
   * Calls back after the listening connection was lost and made again. Whatever was published
   * in between is gone for good, so a cache should drop every session it holds.
   */
  onGap(listener: () => void): () => void
  close(): Promise<void>
}

export interface RevocationFeedOptions {
  /** Publishing borrows a pooled connection for one statement. */
  pool: Pool
  /** For the listener's own connection: LISTEN holds a session, so it cannot be a pooled one. */
  connection: ClientConfig
  channel?: string
  onError?: (error: Error) => void
  /** First reconnect delay; it doubles up to 5 s. */
  reconnectMs?: number
}

interface Payload {
  /** Which feed sent it: a process skips its own notifications by this. */
  from: string
  ids: string[]
}

/**
 * Splits ids into as few `{"from":…,"ids":[…]}` payloads as fit under the NOTIFY limit.
 * A single id too large for any payload is a caller bug (session ids are 22 characters).
 */
export function revocationPayloads(from: string, ids: string[], maxBytes = MAX_NOTIFY_PAYLOAD_BYTES): string[] {
  const head = `{"from":${JSON.stringify(from)},"ids":[`
  const tail = ']}'
  const frame = Buffer.byteLength(head) + Buffer.byteLength(tail)
  const payloads: string[] = []
  let batch: string[] = []
  let size = frame
  for (const id of ids) {
    const encoded = JSON.stringify(id)
    const cost = Buffer.byteLength(encoded) + (batch.length > 0 ? 1 : 0)
    if (frame + Buffer.byteLength(encoded) > maxBytes) throw new RangeError('a session id is too long to announce')
    if (size + cost > maxBytes) {
      payloads.push(head + batch.join(',') + tail)
      batch = []
      size = frame
    }
    size += Buffer.byteLength(encoded) + (batch.length > 0 ? 1 : 0)
    batch.push(encoded)
  }
  if (batch.length > 0) payloads.push(head + batch.join(',') + tail)
  return payloads
}

function parsePayload(text: string | undefined): Payload | null {
  if (text === undefined) return null
  try {
    const value = JSON.parse(text) as Partial<Payload>
    if (typeof value.from !== 'string' || !Array.isArray(value.ids) || !value.ids.every((id) => typeof id === 'string')) return null
    return { from: value.from, ids: value.ids }
  } catch {
    return null
  }
}

/**
 * The revocation feed over LISTEN/NOTIFY. Every gateway on the database listens on one channel
 * on a dedicated connection; publishing is one `pg_notify` per chunk, all in one statement, so
 * the chunks are delivered together when it commits. Each payload names its sender (a random id
 * per feed, that is per process in production), and a listener drops its own notifications.
 */
export function createRevocationFeed(options: RevocationFeedOptions): PostgresRevocationFeed {
  const channel = options.channel ?? DEFAULT_REVOCATION_CHANNEL
  // LISTEN takes an identifier, not a parameter: only plain names, checked once.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError('revocation channel must be a lower-case SQL identifier')
  const onError = options.onError ?? (() => {})
  const baseDelay = options.reconnectMs ?? 100
  const self = randomUUID()
  const listeners = new Set<(ids: string[]) => void>()
  const gapListeners = new Set<() => void>()

  let client: Client | null = null
  let starting: Promise<void> | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let delay = baseDelay
  let closed = false
  let everListened = false

  const deliver = (message: Notification) => {
    if (message.channel !== channel) return
    const payload = parsePayload(message.payload)
    if (payload === null || payload.from === self || payload.ids.length === 0) return
    for (const listener of listeners) {
      try {
        listener([...payload.ids])
      } catch (error) {
        onError(error as Error)
      }
    }
  }

  const lost = (c: Client, error?: Error) => {
    if (client !== c) return
    client = null
    starting = null
    if (error) onError(error)
    c.removeAllListeners('notification')
    c.end().catch(() => {})
    if (!closed) scheduleRetry()
  }

  const scheduleRetry = () => {
    if (retryTimer !== null || closed) return
    retryTimer = setTimeout(() => {
      retryTimer = null
      listen().catch(() => {}) // failures are reported through onError and retried
    }, delay)
    retryTimer.unref()
    delay = Math.min(delay * 2, 5_000)
  }

  const listen = (): Promise<void> => {
    if (closed) return Promise.reject(new Error('revocation feed is closed'))
    starting ??= (async () => {
      const c = new Client({ ...options.connection, application_name: 'gatehouse-revocations', keepAlive: true })
      client = c
      c.on('notification', deliver)
      c.on('error', (error) => lost(c, error))
      c.on('end', () => lost(c))
      try {
        await c.connect()
        await c.query(`LISTEN ${channel}`)
      } catch (error) {
        lost(c, error as Error)
        throw error
      }
      if (closed) {
        await c.end().catch(() => {})
        return
      }
      delay = baseDelay
      if (everListened) for (const listener of gapListeners) listener()
      everListened = true
    })()
    return starting
  }

  return {
    async publishRevoked(sessionIds) {
      if (sessionIds.length === 0) return
      const payloads = revocationPayloads(self, sessionIds)
      await options.pool.query('select pg_notify($1, p) from unnest($2::text[]) as p', [channel, payloads])
    },
    onRevoked(listener) {
      listeners.add(listener)
      if (!closed) listen().catch(() => {})
      return () => {
        listeners.delete(listener)
      }
    },
    onGap(listener) {
      gapListeners.add(listener)
      return () => {
        gapListeners.delete(listener)
      }
    },
    ready: () => listen(),
    async close() {
      closed = true
      if (retryTimer !== null) clearTimeout(retryTimer)
      retryTimer = null
      const c = client
      client = null
      await starting?.catch(() => {})
      await c?.end().catch(() => {})
    },
  }
}
