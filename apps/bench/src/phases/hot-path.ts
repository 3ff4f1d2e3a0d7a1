import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadRequest } from '../load.js'
import { GOAL, type HotPathResults, type HotPathRound, type PostgresTargetStats, type TargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'

export type TargetName = 'direct' | 'bare' | 'gateway' | 'gatewayPostgres'
const LABELS: Record<TargetName, string> = { direct: 'direct', bare: 'bare', gateway: 'gateway', gatewayPostgres: 'gateway-pg' }

export interface HotPathTarget {
  /** The target's server process: the upstream itself for "direct". */
  child: ServerChild
  /** One per logged-in user; the upstream and the bare proxy ignore them. */
  cookies: readonly string[]
  /** CPU of a database server working for this target, µs so far (the Postgres cluster's processes). */
  databaseCpuUs?: () => number | undefined
}

export type Targets = Record<Exclude<TargetName, 'gatewayPostgres'>, HotPathTarget> & { gatewayPostgres?: HotPathTarget }

/** The same requests for every target (the cookies, too: the upstream and the bare proxy ignore them). */
export function hotPathRequests(target: TargetName, cookies: readonly string[]): LoadRequest[] {
  const path = target === 'direct' ? '/items/42' : '/api/bench/items/42'
  return cookies.map((cookie) => ({ path, headers: { cookie } }))
}

function stats(rounds: HotPathRound[]): TargetStats {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: round(median(rounds.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(rounds.map((r) => r.p99Ms)), 3),
    cpuUsPerRequest: round(median(rounds.map((r) => r.cpuUsPerRequest)), 1),
    rounds,
  }
}

function postgresStats(rounds: HotPathRound[]): PostgresTargetStats {
  const database = rounds.map((r) => r.databaseCpuUsPerRequest).filter((v): v is number => v !== undefined)
  return { ...stats(rounds), postgresCpuUsPerRequest: database.length === rounds.length ? round(median(database), 1) : null }
}

async function cpuUs(child: ServerChild): Promise<number> {
  const { userUs, systemUs } = await child.call('cpu', {})
  return userUs + systemUs
}

/**
 * A warm-up per target (each gateway first sees every cookie once), then `rounds` rounds of one run per target; each round starts with the
 * next target in turn, so no target always runs right after the same neighbour.
 */
export async function measureHotPath(targets: Targets, s: Settings, log: (line: string) => void): Promise<Omit<HotPathResults, 'postgres'>> {
  const names = (['direct', 'bare', 'gateway', 'gatewayPostgres'] as const).filter((t) => targets[t] !== undefined)
  const target = (t: TargetName) => targets[t]!
  const run = async (t: TargetName, durationS: number): Promise<HotPathRound> => {
    const { child, cookies, databaseCpuUs } = target(t)
    const before = await cpuUs(child)
    const databaseBefore = databaseCpuUs?.()
    const result = await runLoad({ url: child.url, connections: s.connections, durationS, requests: hotPathRequests(t, cookies) })
    const cpu = (await cpuUs(child)) - before
    const databaseAfter = databaseCpuUs?.()
    const perRequest = (us: number) => round(us / Math.max(1, result.ok), 1)
    return {
      ...result,
      cpuUsPerRequest: perRequest(cpu),
      ...(databaseBefore === undefined || databaseAfter === undefined ? {} : { databaseCpuUsPerRequest: perRequest(databaseAfter - databaseBefore) }),
    }
  }
  for (const t of names) {
    // A gateway's first request of a session unseals its cookie and mints a JWT (on Postgres that
    // takes several round trips, ~5x the steady cost): every cookie once, then the timed warm-up.
    if (t === 'gateway' || t === 'gatewayPostgres') {
      const { child, cookies } = target(t)
      assertClean(`warm-up ${t}, every cookie once`, await runLoad({ url: child.url, connections: s.connections, amount: cookies.length, requests: hotPathRequests(t, cookies) }))
    }
    assertClean(`warm-up ${t}`, await run(t, s.warmupS))
  }
  const rounds: Record<TargetName, HotPathRound[]> = { direct: [], bare: [], gateway: [], gatewayPostgres: [] }
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const t = names[(r + k) % names.length]!
      const result = await run(t, s.roundS)
      assertClean(`round ${r + 1} ${t}`, result)
      rounds[t].push(result)
      const database = result.databaseCpuUsPerRequest === undefined ? '' : ` + ${result.databaseCpuUsPerRequest} µs Postgres`
      log(
        `  round ${r + 1}/${s.rounds} ${LABELS[t].padEnd(10)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  ${result.cpuUsPerRequest} µs CPU/req${database}`,
      )
    }
  }
  const direct = stats(rounds.direct)
  const bare = stats(rounds.bare)
  const gateway = stats(rounds.gateway)
  const gatewayToBare = round(gateway.rps / bare.rps, 3)
  const p99OverBareMs = round(gateway.p99Ms - bare.p99Ms, 3)
  const results: Omit<HotPathResults, 'postgres'> = {
    direct,
    bare,
    gateway,
    gatewayToBare,
    gatewayToDirect: round(gateway.rps / direct.rps, 3),
    cpuGatewayToBare: round(gateway.cpuUsPerRequest / bare.cpuUsPerRequest, 3),
    p99OverBareMs,
    goal: { ...GOAL, met: gatewayToBare >= GOAL.minRatio && p99OverBareMs <= GOAL.maxP99OverBareMs },
  }
  if (targets.gatewayPostgres === undefined) return results
  const gatewayPostgres = postgresStats(rounds.gatewayPostgres)
  const pgCpu = gatewayPostgres.cpuUsPerRequest + (gatewayPostgres.postgresCpuUsPerRequest ?? 0)
  return {
    ...results,
    gatewayPostgres,
    gatewayPostgresToBare: round(gatewayPostgres.rps / bare.rps, 3),
    gatewayPostgresToSqlite: round(gatewayPostgres.rps / gateway.rps, 3),
    cpuGatewayPostgresToSqlite: gatewayPostgres.postgresCpuUsPerRequest === null ? null : round(pgCpu / gateway.cpuUsPerRequest, 3),
  }
}
