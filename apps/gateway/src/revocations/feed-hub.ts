/** What a waiting stream is woken for. */
export type HubSignal = 'changed' | 'heartbeat' | 'failed' | 'closed'

export interface FeedHub {
  /** The highest cursor the hub has seen committed (0 before its first look). */
  readonly head: number
  /** Counts the changes the hub has seen: a stream that read at an older version reads again. */
  readonly version: number
  /** Resolves at the next signal; the hub runs only while someone waits or is subscribed. */
  next(): Promise<HubSignal>
  subscribe(): () => void
  /** Wakes every stream with 'closed' and stops for good (gateway shutdown). */
  close(): void
}

export interface FeedHubOptions {
  /** The feed's current head (the store's highest committed seq). */
  readHead(): Promise<number>
  /** How often the store is asked for the head while streams are open. */
  pollMs: number
  /** A stream hears at least this often that the feed is alive. */
  heartbeatMs: number
  onError?: (error: unknown) => void
}

/**
 * One poller per gateway for every open stream: a single cheap head lookup per tick, whatever
 * the number of services following the feed, and only while at least one does. Revocations made
 * on another gateway or by the CLI reach the store first, so polling it sees them all.
 */
export function createFeedHub(options: FeedHubOptions): FeedHub {
  let head = 0
  let version = 0
  let subscribers = 0
  let closed = false
  let timer: NodeJS.Timeout | null = null
  let running = false
  let lastBeat = 0
  let wake: (signal: HubSignal) => void = () => {}
  let pending = new Promise<HubSignal>((resolve) => (wake = resolve))

  const signal = (s: HubSignal) => {
    const resolve = wake
    pending = new Promise<HubSignal>((r) => (wake = r))
    resolve(s)
  }

  const tick = async () => {
    timer = null
    if (closed || subscribers === 0) {
      running = false
      return
    }
    try {
      const latest = await options.readHead()
      if (latest > head) {
        head = latest
        version += 1
        signal('changed')
      } else if (Date.now() - lastBeat >= options.heartbeatMs) {
        lastBeat = Date.now()
        signal('heartbeat')
      }
    } catch (error) {
      // Streams end; their clients reconnect, and meet a 503 until the store answers again.
      options.onError?.(error)
      signal('failed')
    }
    if (!closed && subscribers > 0) {
      timer = setTimeout(() => void tick(), options.pollMs)
      timer.unref()
    } else running = false
  }

  return {
    get head() {
      return head
    },
    get version() {
      return version
    },
    next: () => (closed ? Promise.resolve('closed') : pending),
    subscribe() {
      subscribers += 1
      if (!running && !closed) {
        running = true
        lastBeat = Date.now()
        void tick()
      }
      let done = false
      return () => {
        if (done) return
        done = true
        subscribers -= 1
        if (subscribers === 0 && timer !== null) {
          clearTimeout(timer)
          timer = null
          running = false
        }
      }
    },
    close() {
      closed = true
      if (timer !== null) clearTimeout(timer)
      timer = null
      signal('closed')
    },
  }
}
