import type { ServerChild } from '../child-process.js'
import { runLoad } from '../load.js'
import type { MemoryResults } from '../results.js'
import type { Settings } from '../settings.js'
import { assertClean } from './check.js'

const sessionRequests = (cookies: readonly string[]) => cookies.map((cookie) => ({ path: '/auth/session', headers: { cookie } }))

/**
 * RSS and heap of a fresh gateway (after a collection) before and after each of `cookies` was
 * used once. The warm-up uses other sessions, so the baseline has the code warm but none of the
 * measured sessions seen.
 */
export async function measureMemory(gateway: ServerChild, warmCookies: readonly string[], cookies: readonly string[], s: Settings): Promise<MemoryResults> {
  assertClean('memory warm-up', await runLoad({ url: gateway.url, connections: s.connections, durationS: Math.min(1, s.warmupS), requests: sessionRequests(warmCookies) }))
  const before = await gateway.call('memory', { gc: true })
  const used = assertClean(
    'memory: using every session once',
    await runLoad({ url: gateway.url, connections: s.connections, amount: cookies.length, requests: sessionRequests(cookies) }),
  )
  const after = await gateway.call('memory', { gc: true })
  return {
    sessions: cookies.length,
    rssBeforeBytes: before.rss,
    rssAfterBytes: after.rss,
    rssDeltaBytes: after.rss - before.rss,
    heapUsedBeforeBytes: before.heapUsed,
    heapUsedAfterBytes: after.heapUsed,
    heapUsedDeltaBytes: after.heapUsed - before.heapUsed,
    rssDeltaBytesPerSession: Math.round((after.rss - before.rss) / cookies.length),
    useRps: used.rps,
  }
}
