/** One server-sent event as a test sees it. */
export interface SseEvent {
  event: string
  id: string | undefined
  data: string
}

/**
 * Reads `text/event-stream` from a Response body: events as they arrive, comments counted.
 * `next()` resolves with the next event, or rejects after `timeoutMs`.
 */
export function readSse(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const events: SseEvent[] = []
  let comments = 0
  let buffer = ''
  let ended = false
  let waiter = null as (() => void) | null
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let split: number
        while ((split = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, split)
          buffer = buffer.slice(split + 2)
          const e: SseEvent = { event: 'message', id: undefined, data: '' }
          let isEvent = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments += 1
            else if (line.startsWith('event: ')) e.event = line.slice(7)
            else if (line.startsWith('id: ')) e.id = line.slice(4)
            else if (line.startsWith('data: ')) {
              e.data += line.slice(6)
              isEvent = true
            }
          }
          if (isEvent) events.push(e)
          waiter?.()
        }
      }
    } catch {
      // cancelled
    }
    ended = true
    waiter?.()
  })()
  let taken = 0
  return {
    events,
    get comments() {
      return comments
    },
    get ended() {
      return ended
    },
    async next(timeoutMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs
      while (taken >= events.length) {
        if (ended) throw new Error('stream ended')
        if (Date.now() > deadline) throw new Error('no event in time')
        await new Promise<void>((resolve) => {
          waiter = resolve
          setTimeout(resolve, 50)
        })
      }
      return events[taken++]!
    },
    /** Resolves once the stream has ended (or rejects after timeoutMs). */
    async end(timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs
      while (!ended) {
        if (Date.now() > deadline) throw new Error('stream did not end')
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  }
}
