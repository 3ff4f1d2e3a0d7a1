import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadRequest, type LoadResult } from '../load.js'
import { GOAL, type HotPathResults, type TargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'

export type TargetName = 'direct' | 'bare' | 'gateway'
export const TARGETS: readonly TargetName[] = ['direct', 'bare', 'gateway']

/** Each target's server process: the upstream itself for "direct". */
export type Targets = Record<TargetName, ServerChild>

/** The same requests for every target (the cookies, too: the upstream and the bare proxy ignore them). */
export function hotPathRequests(target: TargetName, cookies: readonly string[]): LoadRequest[] {
  const path = target === 'direct' ? '/items/42' : '/api/bench/items/42'
  return cookies.map((cookie) => ({ path, headers: { cookie } }))
}

type Round = LoadResult & { cpuUsPerRequest: number }

function stats(rounds: Round[]): TargetStats {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: round(median(rounds.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(rounds.map((r) => r.p99Ms)), 3),
    cpuUsPerRequest: round(median(rounds.map((r) => r.cpuUsPerRequest)), 1),
    rounds,
  }
}

async function cpuUs(child: ServerChild): Promise<number> {
  const { userUs, systemUs } = await child.call('cpu', {})
  return userUs + systemUs
}

/**
 * A warm-up per target, then `rounds` rounds of one run per target; each round starts with the
 * next target in turn, so no target always runs right after the same neighbour.
 */
export async function measureHotPath(targets: Targets, cookies: readonly string[], s: Settings, log: (line: string) => void): Promise<HotPathResults> {
  const run = async (t: TargetName, durationS: number): Promise<Round> => {
    const before = await cpuUs(targets[t])
    const result = await runLoad({ url: targets[t].url, connections: s.connections, durationS, requests: hotPathRequests(t, cookies) })
    const cpu = (await cpuUs(targets[t])) - before
    return { ...result, cpuUsPerRequest: round(cpu / Math.max(1, result.ok), 1) }
  }
  for (const t of TARGETS) assertClean(`warm-up ${t}`, await run(t, t === 'gateway' ? s.warmupS : Math.min(1, s.warmupS)))
  const rounds: Record<TargetName, Round[]> = { direct: [], bare: [], gateway: [] }
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < TARGETS.length; k++) {
      const t = TARGETS[(r + k) % TARGETS.length]!
      const result = await run(t, s.roundS)
      assertClean(`round ${r + 1} ${t}`, result)
      rounds[t].push(result)
      log(`  round ${r + 1}/${s.rounds} ${t.padEnd(7)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  ${result.cpuUsPerRequest} µs CPU/req`)
    }
  }
  const direct = stats(rounds.direct)
  const bare = stats(rounds.bare)
  const gateway = stats(rounds.gateway)
  const gatewayToBare = round(gateway.rps / bare.rps, 3)
  const p99OverBareMs = round(gateway.p99Ms - bare.p99Ms, 3)
  return {
    direct,
    bare,
    gateway,
    gatewayToBare,
    gatewayToDirect: round(gateway.rps / direct.rps, 3),
    cpuGatewayToBare: round(gateway.cpuUsPerRequest / bare.cpuUsPerRequest, 3),
    p99OverBareMs,
    goal: { ...GOAL, met: gatewayToBare >= GOAL.minRatio && p99OverBareMs <= GOAL.maxP99OverBareMs },
  }
}
