import { randomUUID } from 'node:crypto'
import { Client, type ClientConfig, type Notification, type Pool } from 'pg'
import type { RevocationFeed } from '@gatehouse/store'

/** NOTIFY refuses a payload of 8000 bytes or more (the server's default build). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999
export const DEFAULT_REVOCATION_CHANNEL = 'gatehouse_revocations'

/** What a notification on the channel tells, besides ended sessions (see session-cache.ts). */
export interface FeedNotice {
  /** Sessions ended, or (with `changed`) changed in a way a cached copy must not outlive. */
  ids: string[]
  /** Users whose row changed (roles, suspension) or went: every cached session of theirs is dropped. */
  users: string[]
  /** True when the sessions did not end (a rotation, a new baseline): caches drop them, nothing else. */
  changed: boolean
}

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

/** What the session cache, its lease and the acknowledged writes (this package) need of the feed. */
export interface FeedInternals {
  /** This process's id on the channel (its notifications' `from`), also its lease's gateway id. */
  readonly id: string
  readonly channel: string
  /** Whether the listener is connected and LISTENing now. */
  listening(): boolean
  /** Told of every notice from another process, before the `onRevoked` listeners, in channel order. */
  onNotice(listener: (notice: FeedNotice) => void): void
  /** Told when the listener connection is lost, at once, and when it listens again. */
  onConnection(listener: (up: boolean) => void): void
  /** Told when one of this process's own pings (`publishPing`) came back over the channel. */
  onPing(listener: (seq: number) => void): void
  /** Told of acknowledgements (`<nonce>:<gateway id>`) on the ack channel. */
  onAck(listener: (nonce: string, gatewayId: string) => void): void
  /** Runs one statement on the listening connection itself; rejects when it is not listening. */
  queryOnListener(text: string, values: unknown[]): Promise<void>
  /** The payloads announcing `notice` with `nonce`: the last one carries the nonce, acked once all are handled. */
  payloads(notice: FeedNotice, nonce: string): string[]
  pingPayload(seq: number): string
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
  users?: string[]
  changed?: boolean
  /** On the last payload of an announcement that waits for acknowledgements. */
  nonce?: string
  /** A lease renewal's marker, heard by its own sender only. */
  ping?: number
}

/**
 * Splits ids into as few `{"from":…,"ids":[…]}` payloads as fit under the NOTIFY limit.
 * A single id too large for any payload is a caller bug (session ids are 22 characters).
 */
export function revocationPayloads(from: string, ids: string[], maxBytes = MAX_NOTIFY_PAYLOAD_BYTES, changed = false): string[] {
  const head = `{"from":${JSON.stringify(from)},${changed ? '"changed":true,' : ''}"ids":[`
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

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string')

function parsePayload(text: string | undefined): Payload | null {
  if (text === undefined) return null
  try {
    const value = JSON.parse(text) as Partial<Payload>
    if (typeof value.from !== 'string' || !strings(value.ids)) return null
    if (value.users !== undefined && !strings(value.users)) return null
    const payload: Payload = { from: value.from, ids: value.ids, users: value.users ?? [], changed: value.changed === true }
    if (typeof value.nonce === 'string') payload.nonce = value.nonce
    if (typeof value.ping === 'number') payload.ping = value.ping
    return payload
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
export function createRevocationFeed(options: RevocationFeedOptions): PostgresRevocationFeed & { internals: FeedInternals } {
  const channel = options.channel ?? DEFAULT_REVOCATION_CHANNEL
  // LISTEN takes an identifier, not a parameter: only plain names, checked once.
  if (!/^[a-z_][a-z0-9_]{0,58}$/.test(channel)) throw new TypeError('revocation channel must be a lower-case SQL identifier')
  // Acknowledgements go to a second channel, so that nobody else parses them.
  const ackChannel = `${channel}_ack`
  const onError = options.onError ?? (() => {})
  const baseDelay = options.reconnectMs ?? 100
  const self = randomUUID()
  const listeners = new Set<(ids: string[]) => void>()
  const gapListeners = new Set<() => void>()
  const noticeListeners: Array<(notice: FeedNotice) => void> = []
  const connectionListeners: Array<(up: boolean) => void> = []
  const pingListeners: Array<(seq: number) => void> = []
  const ackListeners: Array<(nonce: string, gatewayId: string) => void> = []
  let live = false
  const call = <A extends unknown[]>(fns: Iterable<(...a: A) => void>, ...args: A) => {
    for (const fn of fns) {
      try {
        fn(...args)
      } catch (error) {
        onError(error as Error)
      }
    }
  }

  let client: Client | null = null
  let starting: Promise<void> | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let delay = baseDelay
  let closed = false
  let everListened = false

  // One statement at a time on the listening connection (pg warns of overlapping queries).
  let queue: Promise<unknown> = Promise.resolve()
  const onListener = (c: Client, text: string, values: unknown[]): Promise<void> => {
    const next = queue.then(() => c.query(text, values)).then(() => {})
    queue = next.catch(() => {})
    return next
  }

  const deliver = (c: Client, message: Notification) => {
    if (message.channel === ackChannel) {
      const text = message.payload ?? ''
      const at = text.indexOf(':')
      if (at > 0) call(ackListeners, text.slice(0, at), text.slice(at + 1))
      return
    }
    if (message.channel !== channel) return
    const payload = parsePayload(message.payload)
    if (payload === null) return
    if (payload.from === self) {
      if (payload.ping !== undefined) call(pingListeners, payload.ping)
      return
    }
    const notice: FeedNotice = { ids: payload.ids, users: payload.users ?? [], changed: payload.changed === true }
    if (notice.ids.length > 0 || notice.users.length > 0) call(noticeListeners, notice)
    if (!notice.changed && notice.ids.length > 0) call(listeners, [...notice.ids])
    // Everything in memory is dropped now: tell the writer, on this same connection.
    if (payload.nonce !== undefined) onListener(c, 'select pg_notify($1, $2)', [ackChannel, `${payload.nonce}:${self}`]).catch(() => {})
  }

  const lost = (c: Client, error?: Error) => {
    if (client !== c) return
    client = null
    starting = null
    if (live) {
      live = false
      call(connectionListeners, false)
    }
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
      c.on('notification', (message) => deliver(c, message))
      c.on('error', (error) => lost(c, error))
      c.on('end', () => lost(c))
      try {
        await c.connect()
        await c.query(`LISTEN ${channel}; LISTEN ${ackChannel}`)
      } catch (error) {
        lost(c, error as Error)
        throw error
      }
      if (closed) {
        await c.end().catch(() => {})
        return
      }
      delay = baseDelay
      live = true
      call(connectionListeners, true)
      if (everListened) for (const listener of gapListeners) listener()
      everListened = true
    })()
    return starting
  }

  const internals: FeedInternals = {
    id: self,
    channel,
    listening: () => live,
    onNotice: (listener) => void noticeListeners.push(listener),
    onConnection: (listener) => void connectionListeners.push(listener),
    onPing: (listener) => void pingListeners.push(listener),
    onAck: (listener) => void ackListeners.push(listener),
    async queryOnListener(text, values) {
      const c = client
      if (c === null || !live) throw new Error('the revocation listener is not connected')
      await onListener(c, text, values)
    },
    payloads(notice, nonce) {
      const chunks = notice.ids.length === 0 ? [] : revocationPayloads(self, notice.ids, MAX_NOTIFY_PAYLOAD_BYTES - 200, notice.changed)
      const last: Payload = { from: self, ids: [], users: notice.users, changed: notice.changed, nonce }
      return [...chunks, JSON.stringify(last)]
    },
    pingPayload: (seq) => JSON.stringify({ from: self, ids: [], ping: seq }),
  }

  return {
    internals,
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
      live = false
      if (retryTimer !== null) clearTimeout(retryTimer)
      retryTimer = null
      const c = client
      client = null
      await starting?.catch(() => {})
      await c?.end().catch(() => {})
    },
  }
}
