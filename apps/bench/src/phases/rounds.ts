import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadSpec } from '../load.js'
import type { HotPathRound, TargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'

/** A bench child's own CPU time (user + system) so far, µs, over IPC. */
export async function childCpuUs(child: ServerChild): Promise<number> {
  const { userUs, systemUs } = await child.call('cpu', {})
  return userUs + systemUs
}

/**
 * One load run, with the CPU that `cpuUs` reports (a server's processes) and, if given, a database
 * server's, each per answered request.
 */
export async function runWithCpu(load: LoadSpec, cpuUs: () => Promise<number> | number, databaseCpuUs?: () => number | undefined): Promise<HotPathRound> {
  const before = await cpuUs()
  const databaseBefore = databaseCpuUs?.()
  const result = await runLoad(load)
  const cpu = (await cpuUs()) - before
  const databaseAfter = databaseCpuUs?.()
  const perRequest = (us: number) => round(us / Math.max(1, result.ok), 1)
  return {
    ...result,
    cpuUsPerRequest: perRequest(cpu),
    ...(databaseBefore === undefined || databaseAfter === undefined ? {} : { databaseCpuUsPerRequest: perRequest(databaseAfter - databaseBefore) }),
  }
}

/** Medians over the rounds. */
export function targetStats(rounds: HotPathRound[]): TargetStats {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: round(median(rounds.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(rounds.map((r) => r.p99Ms)), 3),
    cpuUsPerRequest: round(median(rounds.map((r) => r.cpuUsPerRequest)), 1),
    rounds,
  }
}

/**
 * A timed warm-up per target, then `s.rounds` rounds of one `s.roundS` run per target; each round
 * starts with the next target in turn, so no target always runs right after the same neighbour.
 * Any refused or failed request aborts. `describe` labels a target in the progress lines.
 */
export async function rotatingRounds<T extends string>(
  names: readonly T[],
  run: (target: T, durationS: number) => Promise<HotPathRound>,
  s: Settings,
  describe: (target: T) => string,
  log: (line: string, result: HotPathRound) => void,
): Promise<Record<T, HotPathRound[]>> {
  for (const t of names) assertClean(`warm-up ${describe(t)}`, await run(t, s.warmupS))
  const rounds = Object.fromEntries(names.map((t) => [t, [] as HotPathRound[]])) as Record<T, HotPathRound[]>
  for (let r = 0; r < s.rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const t = names[(r + k) % names.length]!
      const result = assertClean(`round ${r + 1} ${describe(t)}`, await run(t, s.roundS))
      rounds[t].push(result)
      log(`  round ${r + 1}/${s.rounds} ${describe(t).padEnd(20)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms`, result)
    }
  }
  return rounds
}
