import { availableParallelism } from 'node:os'
import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadResult } from '../load.js'
import { processTreeCpuUs } from '../proc-cpu.js'
import { reported, type GoalCheck } from '../results.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'
import { hotPathRequests } from './hot-path.js'
import type { Settings } from '../settings.js'
import type { ChildInit } from '../ipc.js'
import { configOf, copyDatabase, gatewayEnv } from '../seed.js'
import type { GatewayConfig } from '../../../gateway/src/config/config.js'

// GATEHOUSE_WORKERS=1 against =2: the hot path's load on fresh gateways alike, with the gateway's
// CPU summed over its primary and workers, and the load generator's own CPU beside it (on two
// cores the generator takes a core's share too, so 2 workers cannot double the throughput here).

export type WorkersRound = LoadResult & {
  /** CPU of the gateway's whole process tree (primary and workers; the one process at 1 worker) per answer, µs. */
  gatewayCpuUsPerRequest: number
  /** This process's CPU (autocannon) per answer, µs. */
  loadGeneratorCpuUsPerRequest: number
  /** The Postgres cluster's CPU per answer, µs (Postgres targets where /proc tells). */
  databaseCpuUsPerRequest?: number
}

export interface WorkersStats {
  workers: number
  rps: number
  p50Ms: number
  p99Ms: number
  gatewayCpuUsPerRequest: number
  loadGeneratorCpuUsPerRequest: number
  databaseCpuUsPerRequest?: number
  rounds: WorkersRound[]
}

export interface WorkersPair {
  one: WorkersStats
  two: WorkersStats
  /** Throughput at 2 workers / at 1. */
  twoToOne: number
}

export interface WorkersResults {
  cores: number
  sqlite: WorkersPair
  postgres: WorkersPair | { skipReason: string }
}

export interface WorkersTarget {
  label: string
  workers: number
  child: ServerChild
  databaseCpuUs?: () => number | undefined
}

const cpuNowUs = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

async function run(t: WorkersTarget, cookies: readonly string[], connections: number, durationS: number): Promise<WorkersRound> {
  const gatewayBefore = processTreeCpuUs(t.child.pid)
  const databaseBefore = t.databaseCpuUs?.()
  const mineBefore = cpuNowUs()
  const result = await runLoad({ url: t.child.url, connections, durationS, requests: hotPathRequests('gateway', cookies) })
  const mine = cpuNowUs() - mineBefore
  const gatewayAfter = processTreeCpuUs(t.child.pid)
  const databaseAfter = t.databaseCpuUs?.()
  const perRequest = (us: number) => round(us / Math.max(1, result.ok), 1)
  return {
    ...result,
    gatewayCpuUsPerRequest: gatewayBefore === undefined || gatewayAfter === undefined ? Number.NaN : perRequest(gatewayAfter - gatewayBefore),
    loadGeneratorCpuUsPerRequest: perRequest(mine),
    ...(databaseBefore === undefined || databaseAfter === undefined ? {} : { databaseCpuUsPerRequest: perRequest(databaseAfter - databaseBefore) }),
  }
}

function stats(workers: number, rounds: WorkersRound[]): WorkersStats {
  const database = rounds.map((r) => r.databaseCpuUsPerRequest).filter((v): v is number => v !== undefined)
  return {
    workers,
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: round(median(rounds.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(rounds.map((r) => r.p99Ms)), 3),
    gatewayCpuUsPerRequest: round(median(rounds.map((r) => r.gatewayCpuUsPerRequest)), 1),
    loadGeneratorCpuUsPerRequest: round(median(rounds.map((r) => r.loadGeneratorCpuUsPerRequest)), 1),
    ...(database.length === rounds.length && database.length > 0 ? { databaseCpuUsPerRequest: round(median(database), 1) } : {}),
    rounds,
  }
}

/** Each target warmed up alike (every cookie once, then the warm-up), then rounds of one run each, the order turning. */
export async function measureWorkers(targets: WorkersTarget[], cookies: readonly string[], s: Settings, log: (line: string) => void): Promise<Map<WorkersTarget, WorkersStats>> {
  for (const t of targets) {
    assertClean(`warm-up ${t.label}, every cookie once`, await runLoad({ url: t.child.url, connections: s.connections, amount: cookies.length, requests: hotPathRequests('gateway', cookies) }))
    assertClean(`warm-up ${t.label}`, await run(t, cookies, s.connections, s.warmupS))
  }
  const rounds = new Map<WorkersTarget, WorkersRound[]>(targets.map((t) => [t, []]))
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!
      const result = await run(t, cookies, s.connections, s.roundS)
      assertClean(`workers round ${r + 1} ${t.label}`, result)
      rounds.get(t)!.push(result)
      const database = result.databaseCpuUsPerRequest === undefined ? '' : ` + ${result.databaseCpuUsPerRequest} µs Postgres`
      log(
        `  round ${r + 1}/${s.rounds} ${t.label.padEnd(22)} ${String(result.rps).padStart(7)} req/s  p99 ${result.p99Ms} ms  CPU/req: gateway ${result.gatewayCpuUsPerRequest} µs${database}, load generator ${result.loadGeneratorCpuUsPerRequest} µs`,
      )
    }
  }
  return new Map(targets.map((t) => [t, stats(t.workers, rounds.get(t)!)]))
}

export function workersPair(one: WorkersStats, two: WorkersStats): WorkersPair {
  return { one, two, twoToOne: round(two.rps / one.rps, 3) }
}

const num = (n: number) => Math.round(n).toLocaleString('en-US')

/** The report's lines for GATEHOUSE_WORKERS. */
export function workersReportLines(w: WorkersResults | undefined): string[] {
  if (w === undefined) return []
  const row = (store: string, p: WorkersPair) =>
    [p.one, p.two].map(
      (x) =>
        `  ${store} ${x.workers} worker${x.workers > 1 ? 's' : ' '}: ${num(x.rps).padStart(7)} req/s, p99 ${x.p99Ms.toFixed(2)} ms, gateway ${x.gatewayCpuUsPerRequest.toFixed(0)}${x.databaseCpuUsPerRequest === undefined ? '' : ` + ${x.databaseCpuUsPerRequest.toFixed(0)} Postgres`} µs CPU/req, load generator ${x.loadGeneratorCpuUsPerRequest.toFixed(0)} µs CPU/req`,
    )
  const pg = w.postgres
  return [
    `GATEHOUSE_WORKERS (${w.cores} cores, shared with the load generator): 2 / 1 workers ${w.sqlite.twoToOne.toFixed(3)} on SQLite${'skipReason' in pg ? ` (no Postgres rows: ${pg.skipReason})` : `, ${pg.twoToOne.toFixed(3)} on Postgres`}`,
    ...row('SQLite  ', w.sqlite),
    ...('skipReason' in pg ? [] : row('Postgres', pg)),
  ]
}

export interface WorkersPhase {
  /** The hot path's SQLite gateway: each target starts on a copy of its store. */
  config: GatewayConfig
  upstreamUrl: string
  cookies: readonly string[]
  /** The hot path's Postgres database (users and sessions already copied there), or why there is none. */
  postgres: { url: string; cpuUs: () => number | undefined } | { skipReason: string }
  child(init: ChildInit): Promise<ServerChild>
  tempDir(): string
  settings: Settings
  log(line: string): void
}

/** Fresh gateways at 1 and 2 workers on copies of the SQLite store, and on the Postgres database, measured in turn. */
export async function runWorkersPhase(p: WorkersPhase): Promise<WorkersResults> {
  const started: ServerChild[] = []
  const start = async (label: string, workers: number, database?: { url: string; cpuUs: () => number | undefined }): Promise<WorkersTarget> => {
    const dir = p.tempDir()
    const env = { ...gatewayEnv(dir, p.upstreamUrl), GATEHOUSE_WORKERS: String(workers), ...(database === undefined ? {} : { DATABASE_URL: database.url }) }
    if (database === undefined) copyDatabase(p.config, configOf(env, dir))
    const child = await p.child({ role: 'gateway', env, dir })
    started.push(child)
    return { label, workers, child, ...(database === undefined ? {} : { databaseCpuUs: database.cpuUs }) }
  }
  try {
    const sqlite = [await start('SQLite, 1 worker', 1), await start('SQLite, 2 workers', 2)] as const
    const pg = 'skipReason' in p.postgres ? undefined : p.postgres
    const postgres = pg === undefined ? undefined : ([await start('Postgres, 1 worker', 1, pg), await start('Postgres, 2 workers', 2, pg)] as const)
    const measured = await measureWorkers([...sqlite, ...(postgres ?? [])], p.cookies, p.settings, p.log)
    const pair = (targets: readonly [WorkersTarget, WorkersTarget]) => workersPair(measured.get(targets[0])!, measured.get(targets[1])!)
    return {
      cores: availableParallelism(),
      sqlite: pair(sqlite),
      postgres: postgres === undefined ? { skipReason: (p.postgres as { skipReason: string }).skipReason } : pair(postgres),
    }
  } finally {
    await Promise.all(started.map((c) => c.stop()))
  }
}

/**
 * Goal 4 of issue 12: one port served by N workers on SQLite and on Postgres, throughput reported at
 * 1 and 2 workers with the load generator's own CPU beside it. The issue sets no ratio (on a
 * 2-core machine the load generator takes most of one core), so each number is "reported".
 */
export function workersGoals(w: WorkersResults): GoalCheck[] {
  const checks: GoalCheck[] = []
  for (const [label, pair] of [['SQLite', w.sqlite], ['Postgres', w.postgres]] as const) {
    const skip = 'skipReason' in pair && pair.skipReason !== undefined ? { skipReason: pair.skipReason } : undefined
    const p = skip === undefined ? (pair as WorkersPair) : undefined
    checks.push(
      reported(4, `${label}: req/s at 2 workers / at 1`, skip ?? p!.twoToOne),
      reported(4, `${label}: load generator CPU µs per request at 2 workers`, skip ?? p!.two.loadGeneratorCpuUsPerRequest),
    )
  }
  return checks
}
