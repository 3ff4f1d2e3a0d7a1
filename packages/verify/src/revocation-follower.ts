import { createSseParser, type ServerSentEvent } from './sse-parser.js'

export interface RevocationFollowerOptions {
  url: URL
  fetch: typeof fetch
  /** The verifier's clock. */
  now: () => Date
  /** Beyond this without word from the feed, the verifier is stale. */
  maxStalenessMs: number
  /** Between two JSON polls while the stream cannot be had. */
  pollIntervalMs: number
  /** Entries are kept this long past their `exp` (the verifier's clock tolerance). */
  toleranceMs: number
}

/** What a service's health check reports. */
export interface RevocationStatus {
  /** Has the feed ever been read to its end? */
  synced: boolean
  /** Milliseconds since the feed last confirmed this copy current (since start before that). */
  stalenessMs: number
  /** stalenessMs beyond maxStalenessS. */
  stale: boolean
  /** How the feed is followed right now. */
  mode: 'stream' | 'poll' | 'connecting'
  /** Revoked sessions held in memory. */
  entries: number
  /** The feed's cursor this copy is current to. */
  cursor: string
}

// The gateway sends a heartbeat every 10 s: a stream silent this long is dead, whatever TCP says.
const STREAM_IDLE_MS = 25_000
const CONNECT_TIMEOUT_MS = 10_000
const MAX_STREAM_BACKOFF_MS = 30_000
const CURSOR = /^\d{1,15}$/

interface Entry {
  sid: string
  exp: number
}

function entriesOf(value: unknown): Entry[] | null {
  const entries = (value as { entries?: unknown } | null)?.entries
  if (!Array.isArray(entries)) return null
  for (const e of entries as unknown[]) {
    const { sid, exp } = (e ?? {}) as { sid?: unknown; exp?: unknown }
    if (typeof sid !== 'string' || sid.length === 0 || sid.length > 512 || typeof exp !== 'number' || !Number.isFinite(exp)) return null
  }
  return entries as Entry[]
}

class FeedFormatError extends Error {}

/**
 * An in-memory copy of the gateway's revocation feed, kept current by its event stream (resumed
 * from the cursor after every disconnect) and, while the stream cannot be had, by polling the
 * JSON feed. `isRevoked` is a map lookup: the verify path never touches the network.
 */
export class RevocationFollower {
  readonly #o: RevocationFollowerOptions
  readonly #revoked = new Map<string, number>()
  readonly #abort = new AbortController()
  readonly #startedAt: number
  #cursor = '0'
  #confirmedAt: number | undefined
  #mode: RevocationStatus['mode'] = 'connecting'
  #readyResolve: () => void = () => {}
  readonly #ready: Promise<void>

  constructor(options: RevocationFollowerOptions) {
    this.#o = options
    this.#startedAt = this.#nowMs()
    this.#ready = new Promise((resolve) => (this.#readyResolve = resolve))
    void this.#run()
  }

  #nowMs(): number {
    return this.#o.now().getTime()
  }

  /** True when `sid` was revoked and tokens of it may still be live. */
  isRevoked(sid: string, nowS: number): boolean {
    const exp = this.#revoked.get(sid)
    return exp !== undefined && nowS <= exp + this.#o.toleranceMs / 1000
  }

  /** status().stale without building the status: this runs on every verify. */
  isStale(): boolean {
    return this.#nowMs() - (this.#confirmedAt ?? this.#startedAt) > this.#o.maxStalenessMs
  }

  status(): RevocationStatus {
    const stalenessMs = Math.max(0, this.#nowMs() - (this.#confirmedAt ?? this.#startedAt))
    return {
      synced: this.#confirmedAt !== undefined,
      stalenessMs,
      stale: stalenessMs > this.#o.maxStalenessMs,
      mode: this.#mode,
      entries: this.#revoked.size,
      cursor: this.#cursor,
    }
  }

  /** Resolves once the feed was read to its end for the first time. */
  ready(): Promise<void> {
    return this.#ready
  }

  close(): void {
    this.#abort.abort()
  }

  #apply(entries: Entry[], cursor: string | undefined) {
    for (const { sid, exp } of entries) this.#revoked.set(sid, Math.max(exp, this.#revoked.get(sid) ?? 0))
    if (cursor !== undefined) {
      if (!CURSOR.test(cursor)) throw new FeedFormatError('bad cursor')
      this.#cursor = cursor
    }
  }

  #confirm() {
    this.#confirmedAt = this.#nowMs()
    const cutoff = this.#confirmedAt / 1000 - this.#o.toleranceMs / 1000
    for (const [sid, exp] of this.#revoked) if (exp < cutoff) this.#revoked.delete(sid)
    this.#readyResolve()
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal
    let failures = 0
    let nextStreamAt = 0
    while (!signal.aborted) {
      if (Date.now() >= nextStreamAt) {
        const outcome = await this.#stream().catch(() => 'failed' as const)
        if (signal.aborted) break
        if (outcome === 'synced') failures = 0
        else failures += 1
        // A feed that answers JSON to a stream request (a buffering proxy) is polled instead.
        const backoff = outcome === 'not-a-stream' ? MAX_STREAM_BACKOFF_MS : failures === 0 ? 0 : Math.min(250 * 2 ** failures, MAX_STREAM_BACKOFF_MS)
        nextStreamAt = Date.now() + backoff
      }
      if (Date.now() >= nextStreamAt) continue
      // Between stream attempts: poll, so a broken stream path alone does not make us stale.
      this.#mode = 'poll'
      await this.#poll().catch(() => {})
      await this.#sleep(Math.min(this.#o.pollIntervalMs, Math.max(0, nextStreamAt - Date.now())))
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      timer.unref?.()
      this.#abort.signal.addEventListener('abort', done, { once: true })
      function done() {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  #request(accept: string, timeoutMs: number): { response: Promise<Response>; controller: AbortController; connected(): void; clear(): void } {
    const controller = new AbortController()
    const onClose = () => controller.abort()
    this.#abort.signal.addEventListener('abort', onClose, { once: true })
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    const url = new URL(this.#o.url)
    url.searchParams.set('after', this.#cursor)
    const response = this.#o.fetch(url.href, {
      headers: { accept },
      // Never follow: whoever controls a redirect would choose which revocations we hear of.
      redirect: 'manual',
      signal: controller.signal,
    })
    return {
      response,
      controller,
      connected: () => clearTimeout(timer),
      clear: () => {
        clearTimeout(timer)
        this.#abort.signal.removeEventListener('abort', onClose)
      },
    }
  }

  async #poll(): Promise<void> {
    for (;;) {
      const { response, clear } = this.#request('application/json', CONNECT_TIMEOUT_MS)
      try {
        const res = await response
        if (res.status !== 200) {
          await res.body?.cancel()
          throw new Error(`revocation feed answered HTTP ${res.status}`)
        }
        const body = (await res.json()) as { cursor?: unknown; more?: unknown }
        const entries = entriesOf(body)
        if (entries === null || typeof body.cursor !== 'string') throw new FeedFormatError('not a revocation feed page')
        this.#apply(entries, body.cursor)
        if (body.more !== true) {
          this.#confirm()
          return
        }
      } finally {
        clear()
      }
    }
  }

  /** Follows the stream until it ends. 'synced': it delivered the feed up to date at least once. */
  async #stream(): Promise<'synced' | 'failed' | 'not-a-stream'> {
    this.#mode = 'connecting'
    const { response, controller, connected, clear } = this.#request('text/event-stream', CONNECT_TIMEOUT_MS)
    let synced = false
    try {
      const res = await response
      connected()
      const type = res.headers.get('content-type') ?? ''
      if (res.status !== 200) {
        await res.body?.cancel()
        return 'failed'
      }
      if (!type.toLowerCase().startsWith('text/event-stream')) {
        await res.body?.cancel()
        return 'not-a-stream'
      }
      this.#mode = 'stream'
      let idle = setTimeout(() => controller.abort(), STREAM_IDLE_MS)
      const alive = () => {
        clearTimeout(idle)
        idle = setTimeout(() => controller.abort(), STREAM_IDLE_MS)
      }
      const parser = createSseParser(
        (event: ServerSentEvent) => {
          if (event.event !== 'revocations') return
          const body = JSON.parse(event.data) as { more?: unknown }
          const entries = entriesOf(body)
          if (entries === null) throw new FeedFormatError('not a revocation feed event')
          this.#apply(entries, event.id)
          if (body.more !== true) {
            synced = true
            this.#confirm()
          }
        },
        () => {
          // A heartbeat: the gateway has nothing newer than what it sent.
          if (synced) this.#confirm()
        },
      )
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          alive()
          parser.push(value)
        }
      } finally {
        clearTimeout(idle)
        await reader.cancel().catch(() => {})
      }
      return synced ? 'synced' : 'failed'
    } catch {
      return synced ? 'synced' : 'failed'
    } finally {
      clear()
      controller.abort()
      if (this.#mode === 'stream') this.#mode = 'connecting'
    }
  }
}
