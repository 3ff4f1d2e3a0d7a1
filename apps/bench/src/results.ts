import type { LoadResult } from './load.js'
import type { Machine } from './machine.js'
import type { ProfileDelta, ProfileEntry } from './profile-summary.js'
import type { Settings } from './settings.js'
import type { MassRevocationResults, VerifyCostResults } from './phases/mass-revocation.js'
import type { FeedAndPasetoResults } from './phases/token-formats.js'
import type { WorkersResults } from './phases/workers.js'
import type { RenewalResults } from './phases/renewals.js'

export type HotPathRound = LoadResult & {
  cpuUsPerRequest: number
  /** The Postgres cluster's CPU per answered request, µs (Postgres target only, where /proc tells). */
  databaseCpuUsPerRequest?: number
}

export interface TargetStats {
  /** Medians over the rounds. */
  rps: number
  p50Ms: number
  p99Ms: number
  /** CPU time (user + system) of the target's own process per answered request, µs. */
  cpuUsPerRequest: number
  rounds: HotPathRound[]
}

/** The gateway on Postgres: its own process's CPU above, the database server's here (null where /proc cannot tell). */
export interface PostgresTargetStats extends TargetStats {
  postgresCpuUsPerRequest: number | null
}

/** The throwaway Postgres cluster of the gateway (Postgres) row, or why there is no such row. */
export type PostgresInfo =
  | { skipReason: string }
  | {
      skipReason?: undefined
      /** e.g. "PostgreSQL 15.14 (Debian 15.14-0+deb12u1)" */
      server: string
      /** Sessions (those of the hot path's logins) copied from the SQLite store, with their users. */
      sessions: number
    }

export type ForwardAuthTarget = 'nginxAlone' | 'nginxAuthRequest' | 'gatewayProxy' | 'forwardDecision' | 'sessionCheck'

/**
 * nginx alone, nginx with the gateway as its auth_request, the gateway proxying itself; and the
 * decision alone (GET /auth/forward) against the session check alone (GET /auth/session). CPU is
 * the gateway's process only. Or why there are no such rows (no nginx).
 */
export type ForwardAuthResults =
  | { skipReason: string }
  | ({ skipReason?: undefined; nginx: string } & Record<ForwardAuthTarget, TargetStats> & {
        authRequestToNginxAlone: number
        authRequestToGatewayProxy: number
        /** At least 1 when forward authentication is as fast as the session check alone. */
        forwardToSession: number
        cpuForwardToSession: number
      })

/** One bound of one of issue 12's goals, as this run measured it. */
export interface GoalCheck {
  /** The goal's number in issue 12 (1: hot path vs bare proxy, 2: Postgres vs SQLite, 3: renewals, 4: workers). */
  goal: number
  /** What is compared, e.g. "gateway / bare proxy, req/s". */
  measure: string
  /** The bound as the issue states it, e.g. ">= 0.85". */
  bound: string
  /** As measured; null when this run could not measure it (`skipReason` says why). */
  value: number | null
  /** Only a measured value within its bound is met. */
  met: boolean
  skipReason?: string
}

type Measured = number | null | { skipReason: string }

function check(goal: number, measure: string, bound: string, value: Measured, within: (v: number) => boolean): GoalCheck {
  if (value === null || typeof value !== 'number') {
    return { goal, measure, bound, value: null, met: false, skipReason: value === null ? 'not measured' : value.skipReason }
  }
  return { goal, measure, bound, value: Math.round(value * 1000) / 1000, met: Number.isFinite(value) && within(value) }
}

/** A bound `value >= min`; a value of null or `{ skipReason }` is not measured, so not met. */
export const atLeast = (goal: number, measure: string, value: Measured, min: number): GoalCheck => check(goal, measure, `>= ${min}`, value, (v) => v >= min)

/** A bound `value <= max`; a value of null or `{ skipReason }` is not measured, so not met. */
export const atMost = (goal: number, measure: string, value: Measured, max: number): GoalCheck => check(goal, measure, `<= ${max}`, value, (v) => v <= max)

/** A number the issue asks to see rather than bound (goal 4: throughput at 1 and 2 workers): met once measured. */
export const reported = (goal: number, measure: string, value: Measured): GoalCheck => check(goal, measure, 'reported', value, () => true)

/** nginx proxying the same upstream: a reference row, not a goal; or why there is none. */
export type NginxReference = { skipReason: string } | ({ skipReason?: undefined; version: string } & TargetStats)

export interface HotPathResults {
  direct: TargetStats
  bare: TargetStats
  gateway: TargetStats
  gatewayToBare: number
  gatewayToDirect: number
  /** Gateway CPU per request over bare-proxy CPU per request: robust to other load on the machine. */
  cpuGatewayToBare: number
  /** Gateway p99 minus bare-proxy p99 (medians), ms. */
  p99OverBareMs: number
  /** nginx (1 worker) proxying /api/bench/ to the same upstream; CPU is its master's and worker's. */
  nginx: NginxReference
  /** The same gateway on a throwaway Postgres cluster; absent when `postgres.skipReason` says why. */
  gatewayPostgres?: PostgresTargetStats
  gatewayPostgresToBare?: number
  /** Postgres gateway req/s over SQLite gateway req/s. */
  gatewayPostgresToSqlite?: number
  /** (Postgres gateway + Postgres server) CPU per request over the SQLite gateway's (SQLite runs inside it). */
  cpuGatewayPostgresToSqlite?: number | null
  postgres: PostgresInfo
}

/** The set-up logins of the hot path's users, over HTTP: bounded by argon2id by design. */
export interface LoginResults {
  logins: number
  connections: number
  seconds: number
  loginsPerSecond: number
  p50Ms: number
  p99Ms: number
}

export interface ValidationRun {
  sessionsInStore: number
  rps: number
  p50Ms: number
  p99Ms: number
}

export interface SessionValidationResults {
  small: ValidationRun
  large: ValidationRun
  /** Medians over rounds; large.rps / small.rps: ~1.0 is flat. */
  largeToSmall: number
  fillerInsertSeconds: number
}

export interface MemoryResults {
  sessions: number
  rssBeforeBytes: number
  rssAfterBytes: number
  rssDeltaBytes: number
  heapUsedBeforeBytes: number
  heapUsedAfterBytes: number
  heapUsedDeltaBytes: number
  rssDeltaBytesPerSession: number
  /** Using every session once, at this rate. */
  useRps: number
}

export interface StreamRun {
  bytes: number
  seconds: number
  mbPerSecond: number
  rssBeforeBytes: number
  peakRssBytes: number
  rssSamples: number
}

export interface StreamResults {
  download: StreamRun
  upload: StreamRun
}

export interface ProfiledRun {
  /** The .cpuprofile (Chrome DevTools, speedscope, or `summarize-profile.ts` read it). */
  path: string
  seconds: number
  requests: number
  /** Main-thread time not idle, per request, µs. */
  busyUsPerRequest: number
  functions: ProfileEntry[]
  modules: ProfileEntry[]
  /** µs per request under each function of the repo's own code, callees included (synchronous part). */
  ownCodeInclusive: Array<{ name: string; usPerRequest: number }>
}

export interface ProfileResults {
  gateway: ProfiledRun
  bare: ProfiledRun
  /** Per request, gateway minus bare proxy, largest first. */
  deltaModules: ProfileDelta[]
  deltaFunctions: ProfileDelta[]
}

export interface BenchResults {
  version: 1
  startedAt: string
  totalSeconds: number
  machine: Machine
  /** os.loadavg() before and after: other work on the machine skews every number. */
  loadAverage: { before: number[]; after: number[] }
  /** Wall time of each phase, s. */
  phaseSeconds: Record<string, number>
  settings: Settings
  method: string[]
  /**
   * Issue 12's goals, bound by bound, in the order the phases pushed them: goals 1 and 2 by the
   * hot path; goals 3 (renewals) and 4 (workers) by their phases.
   */
  goals: GoalCheck[]
  hotPath: HotPathResults
  login: LoginResults
  sessionValidation: SessionValidationResults
  memory: MemoryResults
  stream: StreamResults
  forwardAuth: ForwardAuthResults
  /** Hot path with revocation-feed streams open, and with PASETO, beside the JWT default. */
  tokenFormats: FeedAndPasetoResults
  /** A mass revocation: the feed's size and how long a follower takes to catch up. */
  massRevocation: MassRevocationResults
  /** A service's cost per verify(): JWT, JWT following the feed, PASETO. */
  verifyCost: VerifyCostResults
  /** The hot path at GATEHOUSE_WORKERS=1 and =2. */
  workers: WorkersResults
  /** A session's first request on a fresh process, and a wave of token renewals (goal 3 of issue 12). */
  renewals: RenewalResults
  profile?: ProfileResults
}
