import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A stand-in for the gateway's revocation feed on a real socket, speaking its format
 * (CONTRACT section 3): the verify package must not depend on the gateway app.
 */
export async function startFeedServer() {
  const entries: { seq: number; sid: string; exp: number }[] = []
  const streams = new Set<ServerResponse>()
  const requests: { accept: string; after: string | null }[] = []
  let mode: 'ok' | 'down' | 'json-only' = 'ok'

  const pageAfter = (after: number) => {
    const list = entries.filter((e) => e.seq > after)
    const head = entries.at(-1)?.seq ?? 0
    return { entries: list.map(({ sid, exp }) => ({ sid, exp })), cursor: String(Math.max(after, head)), more: false }
  }
  const send = (res: ServerResponse, page: ReturnType<typeof pageAfter>) =>
    res.write(`event: revocations\nid: ${page.cursor}\ndata: ${JSON.stringify({ entries: page.entries, more: false })}\n\n`)

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x')
    const accept = req.headers.accept ?? ''
    requests.push({ accept, after: url.searchParams.get('after') })
    if (mode === 'down') {
      res.writeHead(503).end()
      return
    }
    const after = Number(url.searchParams.get('after') ?? req.headers['last-event-id'] ?? 0)
    if (accept.includes('text/event-stream') && mode === 'ok') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      ;(res as ServerResponse & { cursor: number }).cursor = after
      send(res, pageAfter(after))
      streams.add(res)
      res.on('close', () => streams.delete(res))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(pageAfter(after)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/gatehouse/revocations`

  return {
    url,
    requests,
    get openStreams() {
      return streams.size
    },
    setMode(m: typeof mode) {
      mode = m
    },
    /** Adds an entry and pushes it to every open stream. */
    revoke(sid: string, exp: number) {
      const seq = (entries.at(-1)?.seq ?? 0) + 1
      entries.push({ seq, sid, exp })
      for (const res of streams) send(res, { entries: [{ sid, exp }], cursor: String(seq), more: false })
    },
    heartbeat() {
      for (const res of streams) res.write(': alive\n\n')
    },
    /** Cuts every open stream, as a gateway restart does. */
    dropStreams() {
      for (const res of streams) res.destroy()
      streams.clear()
    },
    async close() {
      this.dropStreams()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Polls `check` until it returns true; for waits on real sockets, never a fixed sleep. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
