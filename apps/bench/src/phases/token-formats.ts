import type { ServerChild } from '../child-process.js'
import { runLoad } from '../load.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'
import { hotPathRequests } from './hot-path.js'
import { childCpuUs, runWithCpu } from './rounds.js'

export interface VariantStats {
  rps: number
  p99Ms: number
  cpuUsPerRequest: number
}

export interface FeedAndPasetoResults {
  /** The JWT gateway with no revocation-feed stream open. */
  jwt: VariantStats
  /** The same gateway while `feedStreams` services follow its revocation feed (stream open, store polled). */
  jwtWithFeed: VariantStats
  /** A fresh JWT gateway on a copy of the store: PASETO's baseline, started and warmed up alike. */
  jwtFresh: VariantStats
  /** A fresh gateway on a copy of the store with GATEHOUSE_TOKEN_FORMAT=paseto. */
  paseto: VariantStats
  feedStreams: number
  feedToNoFeed: { rps: number; cpu: number }
  pasetoToJwt: { rps: number; cpu: number }
}

const FEED_STREAMS = 4

/** Services following the feed: streams held open (and drained) for the duration of a run. */
async function openFeedStreams(url: string, count: number): Promise<() => void> {
  const controller = new AbortController()
  await Promise.all(
    Array.from({ length: count }, async () => {
      const res = await fetch(`${url}/.well-known/gatehouse/revocations`, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      if (res.status !== 200) throw new Error(`revocation feed answered ${res.status}`)
      const reader = res.body!.getReader()
      void (async () => {
        for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break
      })()
    }),
  )
  return () => controller.abort()
}

/**
 * The hot path's cost of the revocation feed (gateway side: streams open, one store poll per
 * 250 ms) and of PASETO beside the JWT, as ratios of runs alternated round by round. PASETO is
 * compared with a JWT gateway started and warmed up the same way: the main gateway has been
 * under load far longer (JIT, caches), which alone would favour it.
 */
export async function measureFeedAndPaseto(
  jwt: ServerChild,
  fresh: { jwt: ServerChild; paseto: ServerChild },
  cookies: readonly string[],
  s: Settings,
  log: (line: string) => void,
): Promise<FeedAndPasetoResults> {
  const requests = hotPathRequests('gateway', cookies)
  const run = (child: ServerChild, durationS: number) => runWithCpu({ url: child.url, connections: s.connections, durationS, requests }, () => childCpuUs(child))
  // The fresh gateways mint a token per session on first use: every cookie once, then warm up.
  for (const [name, child] of [['jwtFresh', fresh.jwt], ['paseto', fresh.paseto]] as const) {
    assertClean(`warm-up ${name}, every cookie once`, await runLoad({ url: child.url, connections: s.connections, amount: cookies.length, requests }))
    assertClean(`warm-up ${name}`, await run(child, s.warmupS))
  }
  const variants = ['jwt', 'jwtWithFeed', 'jwtFresh', 'paseto'] as const
  const target = { jwt, jwtWithFeed: jwt, jwtFresh: fresh.jwt, paseto: fresh.paseto }
  const rounds: Record<(typeof variants)[number], { rps: number; p99Ms: number; cpuUsPerRequest: number }[]> = { jwt: [], jwtWithFeed: [], jwtFresh: [], paseto: [] }
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length]!
      const close = v === 'jwtWithFeed' ? await openFeedStreams(jwt.url, FEED_STREAMS) : () => {}
      const result = await run(target[v], s.roundS)
      close()
      assertClean(`round ${r + 1} ${v}`, result)
      rounds[v].push(result)
      log(`  round ${r + 1}/${s.rounds} ${v.padEnd(12)} ${String(result.rps).padStart(7)} req/s  p99 ${result.p99Ms} ms  ${result.cpuUsPerRequest} µs CPU/req`)
    }
  }
  const stats = (list: typeof rounds.jwt): VariantStats => ({
    rps: median(list.map((x) => x.rps)),
    p99Ms: round(median(list.map((x) => x.p99Ms)), 3),
    cpuUsPerRequest: round(median(list.map((x) => x.cpuUsPerRequest)), 1),
  })
  const [a, b, f, p] = [stats(rounds.jwt), stats(rounds.jwtWithFeed), stats(rounds.jwtFresh), stats(rounds.paseto)]
  return {
    jwt: a,
    jwtWithFeed: b,
    jwtFresh: f,
    paseto: p,
    feedStreams: FEED_STREAMS,
    feedToNoFeed: { rps: round(b.rps / a.rps, 3), cpu: round(b.cpuUsPerRequest / a.cpuUsPerRequest, 3) },
    pasetoToJwt: { rps: round(p.rps / f.rps, 3), cpu: round(p.cpuUsPerRequest / f.cpuUsPerRequest, 3) },
  }
}
