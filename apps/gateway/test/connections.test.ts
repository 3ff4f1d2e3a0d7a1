import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { testConfig } from './helpers.js'

let gw: RunningGateway | undefined
afterEach(async () => {
  await gw?.close(0)
  gw = undefined
})

async function start(env: Record<string, string>) {
  gw = await startGateway({ ...testConfig(env), port: 0 }, { logger: createLogger('silent') })
  return gw
}

interface SlowClient {
  socket: Socket
  /** Everything the server wrote back. */
  received: () => string
  closed: Promise<void>
  stop(): void
}

/** A slowloris: a request head that never ends, one header line every `everyMs`. */
function slowClient(port: number, everyMs: number, sendNothing = false): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let timer: NodeJS.Timeout | undefined
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    void closed.then(() => clearInterval(timer))
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('error', () => {})
    socket.once('connect', () => {
      if (!sendNothing) {
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
        let n = 0
        timer = setInterval(() => socket.write(`X-Slow-${n++}: a\r\n`), everyMs)
      }
      resolve({ socket, received: () => received, closed, stop: () => (clearInterval(timer), socket.destroy()) })
    })
    socket.once('error', reject)
  })
}

describe('connections: slow clients are cut and the gateway keeps serving', () => {
  it('under 300 slow-header connections a normal client is served and every slow one is cut with 408', async () => {
    const g = await start({ GATEHOUSE_HEADERS_TIMEOUT: '1000', GATEHOUSE_REQUEST_TIMEOUT: '2000' })
    const slow = await Promise.all(Array.from({ length: 300 }, () => slowClient(g.port, 100)))
    try {
      // While all of them trickle headers, ordinary requests go through.
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${g.url}/healthz`)
        expect(res.status).toBe(200)
      }
      const readyz = await fetch(`${g.url}/readyz`)
      expect(readyz.status).toBe(200)
      await Promise.all(slow.map((s) => s.closed))
      for (const s of slow) expect(s.received()).toMatch(/^HTTP\/1\.1 408 /)
      expect((await fetch(`${g.url}/healthz`)).status).toBe(200)
    } finally {
      for (const s of slow) s.stop()
    }
  })

  it('connections past GATEHOUSE_MAX_CONNECTIONS are closed at once, and served again once the slow ones are cut', async () => {
    const g = await start({ GATEHOUSE_HEADERS_TIMEOUT: '1000', GATEHOUSE_MAX_CONNECTIONS: '50' })
    const held = await Promise.all(Array.from({ length: 50 }, () => slowClient(g.port, 100)))
    try {
      // At the cap: 100 more are closed without an answer, none of them waits for a timeout.
      const extra = await Promise.all(Array.from({ length: 100 }, () => slowClient(g.port, 0, true)))
      await Promise.all(extra.map((s) => s.closed))
      expect(extra.every((s) => s.received() === '')).toBe(true)
      expect(held.filter((s) => s.socket.destroyed)).toEqual([])
      // The held ones are cut at their header deadline; then the door is open again.
      await Promise.all(held.map((s) => s.closed))
      expect((await fetch(`${g.url}/healthz`)).status).toBe(200)
    } finally {
      for (const s of held) s.stop()
    }
  })

  it('an idle kept-alive connection is closed after GATEHOUSE_KEEP_ALIVE_TIMEOUT', async () => {
    const g = await start({ GATEHOUSE_KEEP_ALIVE_TIMEOUT: '300' })
    const client = await slowClient(g.port, 0, true)
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await client.closed
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /)
  })
})
