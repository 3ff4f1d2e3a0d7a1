import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import type { Command, ChildInit, ChildMessage, Commands, MemorySample, ParentMessage, RssWatch } from './ipc.js'

// A server of the bench in its own process (forked by child-process.ts), so the load generator
// in the parent never shares an event loop with what it measures. Driven over IPC.

function send(message: ChildMessage): void {
  process.send?.(message)
}

function memory(): MemorySample {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external, arrayBuffers }
}

async function start(init: ChildInit): Promise<{ url: string; stop(): Promise<void> }> {
  switch (init.role) {
    case 'upstream': {
      const { startUpstream } = await import('./upstream.js')
      const { server, url } = await startUpstream()
      return {
        url,
        stop: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve())
            server.closeAllConnections()
          }),
      }
    }
    case 'bare': {
      const { startBareProxy } = await import('./bare-proxy.js')
      const bare = await startBareProxy(init.upstreamUrl)
      return {
        url: bare.url,
        stop: async () => {
          bare.server.closeAllConnections()
          bare.close()
        },
      }
    }
    case 'gateway': {
      const { loadConfig } = await import('../../gateway/src/config/env.js')
      const config = loadConfig(init.env, init.dir)
      if (config.workers > 1) {
        const { startGatewayWorkers } = await import('../../gateway/src/cluster/start-workers.js')
        const running = await startGatewayWorkers({ env: init.env, cwd: init.dir, workers: config.workers })
        return { url: running.url, stop: () => running.close(1000) }
      }
      const { startGateway } = await import('../../gateway/src/server.js')
      const running = await startGateway(config, init.movableClock ? { clock: movableClock } : {})
      return { url: running.url, stop: () => running.close(1000) }
    }
  }
}

/** The bench's renewals phase moves this gateway's time forward instead of waiting minutes. */
let clockOffsetMs = 0
const movableClock = { now: () => Date.now() + clockOffsetMs }

let stopServer: (() => Promise<void>) | undefined
let watch: { timer: NodeJS.Timeout; result: RssWatch } | undefined
let profiler: Session | undefined

type Handlers = { [C in Command]: (args: Commands[C]['args']) => Promise<Commands[C]['result']> | Commands[C]['result'] }

const handlers: Handlers = {
  cpu() {
    const { user, system } = process.cpuUsage()
    return { userUs: user, systemUs: system }
  },
  memory({ gc }) {
    // Twice: the first pass can leave finalizable objects for the second.
    if (gc && global.gc) {
      global.gc()
      global.gc()
    }
    return memory()
  },
  rssWatchStart({ everyMs }) {
    if (watch) clearInterval(watch.timer)
    const rss = process.memoryUsage.rss()
    const result: RssWatch = { samples: 1, peakRss: rss, firstRss: rss, lastRss: rss }
    const timer = setInterval(() => {
      const now = process.memoryUsage.rss()
      result.samples++
      result.lastRss = now
      if (now > result.peakRss) result.peakRss = now
    }, everyMs)
    watch = { timer, result }
    return null
  },
  rssWatchStop() {
    if (!watch) throw new Error('no RSS watch running')
    clearInterval(watch.timer)
    const { result } = watch
    watch = undefined
    return result
  },
  async profileStart() {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 })
    await profiler.post('Profiler.start')
    return null
  },
  async profileStop({ path }) {
    if (!profiler) throw new Error('no profile running')
    const { profile } = await profiler.post('Profiler.stop')
    profiler.disconnect()
    profiler = undefined
    await writeFile(path, JSON.stringify(profile))
    return null
  },
  clockAdvance({ ms }) {
    if (!(ms >= 0)) throw new Error('the clock only moves forward')
    clockOffsetMs += ms
    return { now: movableClock.now() }
  },
  async stop() {
    await stopServer?.()
    setImmediate(() => process.exit(0))
    return null
  },
}

process.on('message', (raw: ParentMessage) => {
  if (raw.type === 'init') {
    start(raw.init).then(
      (s) => {
        stopServer = s.stop
        send({ type: 'ready', url: s.url })
      },
      (error: unknown) => {
        send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
        process.exitCode = 1
        process.disconnect()
      },
    )
    return
  }
  const handler = handlers[raw.cmd] as (args: unknown) => unknown
  Promise.resolve()
    .then(() => handler(raw.args))
    .then(
      (result) => send({ type: 'reply', id: raw.id, ok: true, result }),
      (error: unknown) => send({ type: 'reply', id: raw.id, ok: false, error: String(error) }),
    )
})
// The bench went away: nothing is left to serve.
process.once('disconnect', () => process.exit(0))
