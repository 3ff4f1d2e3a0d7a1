import type { ServerChild } from '../child-process.js'
import { download, upload } from '../http-client.js'
import type { StreamRun } from '../results.js'
import { round } from '../stats.js'

/** One transfer through the gateway while the gateway child samples its own RSS every 100 ms. */
async function watched(gateway: ServerChild, bytes: number, transfer: () => Promise<unknown>): Promise<StreamRun> {
  const before = await gateway.call('memory', { gc: true })
  await gateway.call('rssWatchStart', { everyMs: 100 })
  const started = performance.now()
  await transfer()
  const seconds = (performance.now() - started) / 1000
  const watch = await gateway.call('rssWatchStop', {})
  return {
    bytes,
    seconds: round(seconds, 3),
    mbPerSecond: round(bytes / 1e6 / seconds, 1),
    rssBeforeBytes: before.rss,
    peakRssBytes: watch.peakRss,
    rssSamples: watch.samples,
  }
}

/** `bytes` down (GET) and up (POST) through /api/bench/..., generated on the fly at both ends. */
export async function measureStreams(gateway: ServerChild, cookie: string, bytes: number) {
  const down = await watched(gateway, bytes, async () => {
    const got = await download(gateway.url, `/api/bench/stream?bytes=${bytes}`, cookie)
    if (got !== bytes) throw new Error(`download: ${got} of ${bytes} bytes`)
  })
  const up = await watched(gateway, bytes, async () => {
    const answer = JSON.parse(await upload(gateway.url, '/api/bench/upload', cookie, bytes)) as { bytes: number }
    if (answer.bytes !== bytes) throw new Error(`upload: the upstream got ${answer.bytes} of ${bytes} bytes`)
  })
  return { download: down, upload: up }
}
