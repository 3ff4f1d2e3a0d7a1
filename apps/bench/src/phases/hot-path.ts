import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadRequest } from '../load.js'
import { atLeast, atMost, type GoalCheck, type HotPathResults, type HotPathRound, type NginxReference, type PostgresTargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'
import { childCpuUs, rotatingRounds, runWithCpu, targetStats } from './rounds.js'

export type TargetName = 'direct' | 'nginx' | 'bare' | 'gateway' | 'gatewayPostgres'
const LABELS: Record<TargetName, string> = { direct: 'direct', nginx: 'nginx', bare: 'bare', gateway: 'gateway', gatewayPostgres: 'gateway-pg' }

export interface HotPathTarget {
  url: string
  /** One per logged-in user; the upstream, nginx and the bare proxy pass them on unread. */
  cookies: readonly string[]
  /** CPU time of the target's server processes so far, µs (the upstream itself for "direct"). */
  cpuUs(): Promise<number> | number
  /** Is it a gateway (its first request of a session unseals the cookie and mints a JWT)? */
  gateway?: boolean
  /** CPU of a database server working for this target, µs so far (the Postgres cluster's processes). */
  databaseCpuUs?: () => number | undefined
}

/** A bench child as a target: its own process's CPU over IPC. */
export function childTarget(child: ServerChild, cookies: readonly string[], extra: Pick<HotPathTarget, 'gateway' | 'databaseCpuUs'> = {}): HotPathTarget {
  return { url: child.url, cookies, cpuUs: () => childCpuUs(child), ...extra }
}

export type Targets = Record<'direct' | 'bare' | 'gateway', HotPathTarget> & {
  gatewayPostgres?: HotPathTarget
  /** nginx with its version, or why there is no such row. */
  nginx: { skipReason: string } | { skipReason?: undefined; version: string; target: HotPathTarget }
}

/** The same requests for every target (the cookies, too: the upstream, nginx and the bare proxy ignore them). */
export function hotPathRequests(target: TargetName, cookies: readonly string[]): LoadRequest[] {
  const path = target === 'direct' ? '/items/42' : '/api/bench/items/42'
  return cookies.map((cookie) => ({ path, headers: { cookie } }))
}

function postgresStats(rounds: HotPathRound[]): PostgresTargetStats {
  const database = rounds.map((r) => r.databaseCpuUsPerRequest).filter((v): v is number => v !== undefined)
  return { ...targetStats(rounds), postgresCpuUsPerRequest: database.length === rounds.length ? round(median(database), 1) : null }
}

/**
 * The hot path on every target: each gateway first sees every cookie once, then rotating rounds
 * (a timed warm-up per target first).
 */
export async function measureHotPath(targets: Targets, s: Settings, log: (line: string) => void): Promise<Omit<HotPathResults, 'postgres'>> {
  const all: Partial<Record<TargetName, HotPathTarget>> = {
    direct: targets.direct,
    ...(targets.nginx.skipReason === undefined ? { nginx: targets.nginx.target } : {}),
    bare: targets.bare,
    gateway: targets.gateway,
    ...(targets.gatewayPostgres === undefined ? {} : { gatewayPostgres: targets.gatewayPostgres }),
  }
  const names = (['direct', 'nginx', 'bare', 'gateway', 'gatewayPostgres'] as const).filter((t) => all[t] !== undefined)
  const target = (t: TargetName) => all[t]!
  for (const t of names) {
    // A gateway's first request of a session unseals its cookie and mints a JWT (on Postgres that
    // takes several round trips, ~5x the steady cost): every cookie once before the warm-up.
    const { url, cookies, gateway } = target(t)
    if (gateway === true) assertClean(`warm-up ${t}, every cookie once`, await runLoad({ url, connections: s.connections, amount: cookies.length, requests: hotPathRequests(t, cookies) }))
  }
  const rounds = await rotatingRounds(
    names,
    (t, durationS) => {
      const { url, cookies, cpuUs, databaseCpuUs } = target(t)
      return runWithCpu({ url, connections: s.connections, durationS, requests: hotPathRequests(t, cookies) }, cpuUs, databaseCpuUs)
    },
    s,
    (t) => LABELS[t],
    (line, result) => {
      const database = result.databaseCpuUsPerRequest === undefined ? '' : ` + ${result.databaseCpuUsPerRequest} µs Postgres`
      log(`${line}  ${result.cpuUsPerRequest} µs CPU/req${database}`)
    },
  )
  const direct = targetStats(rounds.direct)
  const bare = targetStats(rounds.bare)
  const gateway = targetStats(rounds.gateway)
  const nginx: NginxReference = targets.nginx.skipReason !== undefined ? { skipReason: targets.nginx.skipReason } : { version: targets.nginx.version, ...targetStats(rounds.nginx!) }
  const results: Omit<HotPathResults, 'postgres'> = {
    direct,
    nginx,
    bare,
    gateway,
    gatewayToBare: round(gateway.rps / bare.rps, 3),
    gatewayToDirect: round(gateway.rps / direct.rps, 3),
    cpuGatewayToBare: round(gateway.cpuUsPerRequest / bare.cpuUsPerRequest, 3),
    p99OverBareMs: round(gateway.p99Ms - bare.p99Ms, 3),
  }
  if (targets.gatewayPostgres === undefined) return results
  const gatewayPostgres = postgresStats(rounds.gatewayPostgres!)
  const pgCpu = gatewayPostgres.cpuUsPerRequest + (gatewayPostgres.postgresCpuUsPerRequest ?? 0)
  return {
    ...results,
    gatewayPostgres,
    gatewayPostgresToBare: round(gatewayPostgres.rps / bare.rps, 3),
    gatewayPostgresToSqlite: round(gatewayPostgres.rps / gateway.rps, 3),
    cpuGatewayPostgresToSqlite: gatewayPostgres.postgresCpuUsPerRequest === null ? null : round(pgCpu / gateway.cpuUsPerRequest, 3),
  }
}

/** Issue 12's goals 1 and 2, bound by bound, as the issue states them. */
export function hotPathGoals(h: HotPathResults): GoalCheck[] {
  const noPostgres = h.postgres.skipReason !== undefined ? { skipReason: `no Postgres row: ${h.postgres.skipReason}` } : null
  return [
    atLeast(1, 'SQLite gateway / bare proxy, req/s', h.gatewayToBare, 0.85),
    atMost(1, 'SQLite gateway / bare proxy, server CPU per request', h.cpuGatewayToBare, 1.2),
    atMost(1, 'SQLite gateway p99 - bare proxy p99, ms', h.p99OverBareMs, 1),
    atLeast(2, 'Postgres gateway / SQLite gateway, req/s', h.gatewayPostgresToSqlite ?? noPostgres, 0.8),
    atMost(
      2,
      '(Postgres gateway + Postgres server) / SQLite gateway, CPU per request',
      h.cpuGatewayPostgresToSqlite ?? (h.gatewayPostgres !== undefined ? { skipReason: "the Postgres server's CPU could not be read from /proc" } : noPostgres),
      1.3,
    ),
  ]
}
