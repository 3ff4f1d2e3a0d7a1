import { runLoad, type LoadResult } from '../load.js'
import type { SessionValidationResults, ValidationRun } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'

export interface ValidationTarget {
  url: string
  sessionsInStore: number
}

function summary(target: ValidationTarget, runs: LoadResult[]): ValidationRun {
  return {
    sessionsInStore: target.sessionsInStore,
    rps: median(runs.map((r) => r.rps)),
    p50Ms: round(median(runs.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(runs.map((r) => r.p99Ms)), 3),
  }
}

/**
 * Authenticated GET /auth/session over the same cookies against two gateways whose stores differ
 * only in the filler sessions, alternating between them round by round so that whatever else the
 * machine does weighs on both alike.
 */
export async function measureValidation(
  small: ValidationTarget,
  large: ValidationTarget,
  cookies: readonly string[],
  s: Settings,
  log: (line: string) => void,
): Promise<Omit<SessionValidationResults, 'fillerInsertSeconds'>> {
  const requests = cookies.map((cookie) => ({ path: '/auth/session', headers: { cookie } }))
  const run = (t: ValidationTarget, durationS: number) => runLoad({ url: t.url, connections: s.connections, durationS, requests })
  // Every cookie once first (the second gateway has unsealed none yet), then a short warm-up.
  for (const t of [small, large]) {
    const what = `session validation warm-up (${t.sessionsInStore} sessions)`
    assertClean(what, await runLoad({ url: t.url, connections: s.connections, amount: requests.length, requests }))
    assertClean(what, await run(t, 0.5))
  }
  const runs = new Map<ValidationTarget, LoadResult[]>([
    [small, []],
    [large, []],
  ])
  for (let r = 0; r < s.validationRounds; r++) {
    for (const t of r % 2 === 0 ? [small, large] : [large, small]) {
      const result = assertClean(`session validation (${t.sessionsInStore} sessions)`, await run(t, s.validationS))
      runs.get(t)!.push(result)
      log(`  round ${r + 1}/${s.validationRounds} ${String(t.sessionsInStore).padStart(8)} sessions ${String(result.rps).padStart(6)} req/s  p99 ${result.p99Ms} ms`)
    }
  }
  const smallRun = summary(small, runs.get(small)!)
  const largeRun = summary(large, runs.get(large)!)
  return { small: smallRun, large: largeRun, largeToSmall: round(largeRun.rps / smallRun.rps, 3) }
}
