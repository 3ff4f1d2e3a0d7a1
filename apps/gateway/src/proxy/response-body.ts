import type { IncomingMessage } from 'node:http'

// Bytes queued beyond what the reader asked for before the upstream socket is paused.
const MAX_QUEUED = 64 * 1024

// A body made by upstreamBody() -> hands its node stream over, once, if nobody has read it yet.
const handovers = new WeakMap<ReadableStream<Uint8Array>, () => IncomingMessage | undefined>()

/**
 * The upstream's response body as a web stream, for Hono's Response. Nothing is read until
 * someone reads the stream (pull-based, the upstream socket paused when the reader falls behind),
 * so the server can instead take the node stream with `takeUpstreamBody` and pipe it straight to
 * the socket.
 */
export function upstreamBody(res: IncomingMessage): ReadableStream<Uint8Array> {
  let mode: 'idle' | 'web' | 'node' = 'idle'
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (mode === 'idle') {
          mode = 'web'
          res.on('data', (chunk: Buffer) => {
            controller.enqueue(chunk)
            if ((controller.desiredSize ?? 0) < -MAX_QUEUED) res.pause()
          })
          res.once('end', () => controller.close())
          res.once('error', (error) => controller.error(error))
          res.once('close', () => {
            if (!res.complete) controller.error(new Error('the upstream closed the connection mid-body'))
          })
        }
        res.resume()
      },
      cancel() {
        res.destroy()
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  )
  handovers.set(stream, () => {
    if (mode !== 'idle') return undefined
    mode = 'node'
    return res
  })
  return stream
}

/** The node stream behind a body from `upstreamBody`, if it is one and untouched; it is then yours. */
export function takeUpstreamBody(body: ReadableStream<Uint8Array> | null): IncomingMessage | undefined {
  if (body === null || body.locked) return undefined
  return handovers.get(body)?.()
}
