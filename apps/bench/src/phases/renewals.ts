import pg from 'pg'
import type { User } from '@gatehouse/store'
import type { GatewayConfig } from '../../../gateway/src/config/config.js'
import { touchIntervalMs } from '../../../gateway/src/session/session-manager.js'
import type { ServerChild } from '../child-process.js'
import type { ChildInit } from '../ipc.js'
import { runLoad, type LoadResult } from '../load.js'
import type { BenchPostgres } from '../postgres.js'
import { atMost, type GoalCheck } from '../results.js'
import { configOf, copyDatabase, createSessionsWithCookies, dbPath, gatewayEnv } from '../seed.js'
import type { Settings } from '../settings.js'
import { round } from '../stats.js'
import { postgresRows, sqliteRows, type RowReader } from './renewal-rows.js'
import { assertClean } from './check.js'
import { hotPathRequests } from './hot-path.js'

/**
 * Token renewals (issue 12, goal 3): what a session's first request on a fresh gateway process
 * costs (cookie unsealed, session read, refresh chain renewed, JWT signed), what each renewal
 * costs once the cohort's tokens come due, how spread those renewals are, what the wave does
 * to p99, and how many refresh-token rows a session keeps. The gateway's clock is moved forward
 * over IPC (the bench cannot wait the 3 minutes until 300 s tokens come due); between moves it
 * runs with the system clock.
 */

/** Goal 3: CPU per first request and per renewal (gateway, plus Postgres on Postgres), and p99 during the wave. */
/**
 * Goal 3's bounds. The issue names the CPU and p99 ones; "do not renew together" is read as the
 * wave's busiest second holding at most 3x its mean (a cohort renewing at once puts the whole wave
 * in one second: 60x over a minute), and "a bounded number of rows" as the chain's own cap (the
 * current row and at most 32 consumed within the race window).
 */
export const RENEWAL_GOAL = { sqliteMaxCpuUs: 400, postgresMaxCpuUs: 800, maxP99Ratio: 2, maxBusiestToMean: 3, maxRefreshRows: 33 } as const

export interface FirstRequestCost {
  sessions: number
  /** All CPU per first request, µs (gateway process, plus the Postgres cluster on Postgres). */
  grossCpuUsPerRequest: number
  /** The same gateway's CPU per request right after, every session warm. */
  steadyCpuUsPerRequest: number
  /** What the first request costs on top: unseal, session read, renewal, signature (and an idle-deadline write where one was due). */
  netCpuUsPerRequest: number
  /** The Postgres cluster's part of the gross and steady figures above (Postgres only). */
  databaseGrossCpuUsPerRequest?: number
  databaseSteadyCpuUsPerRequest?: number
  /** The net figure of each round (a fresh process each); the figures above are the median round's. */
  rounds: number[]
  goalUs: number
  met: boolean
}

export interface LoadCost {
  requests: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
  /** Gateway plus database CPU per answered request, µs. */
  cpuUsPerRequest: number
  databaseCpuUsPerRequest?: number
}

export interface RenewalWave {
  sessions: number
  accessTtlS: number
  steady: LoadCost
  wave: LoadCost
  /** Refresh-token rows created during the wave: one per renewal. */
  renewals: number
  /** Renewals per second of the wave (by the gateway's clock): the busiest second and the mean. */
  renewalsPerSecond: { max: number; mean: number }
  /**
   * Every session once with every token due, against every session once with none due (both
   * with the idle-deadline write due): `renewals` refresh-token rows created in it.
   */
  renewalPass: LoadCost & { renewals: number; baselineCpuUsPerRequest: number }
  /** (renewal pass CPU - baseline pass CPU per request x requests) / renewals, gateway plus Postgres; null without renewals. */
  cpuUsPerRenewal: number | null
  p99WaveToSteady: number
  /** After the wave: the most refresh-token rows any session has in the store. */
  maxRefreshRowsPerSession: number
  goal: { maxCpuUs: number; maxP99Ratio: number; met: boolean }
}

export interface RenewalTargetResults {
  firstRequest: FirstRequestCost
  wave: RenewalWave
}

export interface RenewalResults {
  sqlite: RenewalTargetResults
  postgres: RenewalTargetResults | { skipReason: string }
}

export interface RenewalTarget {
  kind: 'sqlite' | 'postgres'
  /** A fresh gateway child with a movable clock, on a store where these cookies' sessions live. */
  start(): Promise<ServerChild>
  /** Adds `count` sessions of `users` to the target's store (before any start), for warming processes up: their cookies. */
  warmupSessions(users: readonly User[], count: number): Promise<string[]>
  rows: RowReader
  accessTtlS: number
  /** How long after a session's last write its next request writes its idle deadline again. */
  touchEveryMs: number
  databaseCpuUs?: () => number | undefined
}

/** Time the touch pass has before the renewal window opens. */
const LEAD_MS = 3000

type FirstRound = Omit<FirstRequestCost, 'rounds' | 'goalUs' | 'met'>

/**
 * Step 1 on one fresh process. Sessions of their own (`renewalWarmupSessions`, never used again)
 * warm it, unmeasured: their first requests, then the steady run's length of load on them, so
 * that what follows is measured on a process that has been serving, as a gateway is when a
 * session it has not seen comes by. That is mostly V8 compiling the code only a first request
 * runs (the unseal, the lookup, the renewal, the signature): it does that after a few hundred of
 * them, and with 300 warm-up sessions it was still compiling through the measured requests
 * (43 TurboFan compilations, 160 ms of its background threads' CPU over 700 first requests).
 * Then every measured session's first request on this process (its tokens minted together),
 * and the steady load right after.
 */
async function firstRequests(
  gateway: ServerChild,
  target: RenewalTarget,
  cookies: readonly string[],
  warmupCookies: readonly string[],
  s: Settings,
  beforeMeasured: () => Promise<unknown> = async () => {},
): Promise<{ round: FirstRound; steady: Measured }> {
  const requests = hotPathRequests('gateway', cookies)
  const warmup = hotPathRequests('gateway', warmupCookies)
  const measured = measuring(gateway, target)
  // First requests, steady load, first requests again: code V8 optimised on steady requests alone
  // meets a first request's other branches and types in the second half and is optimised again
  // for both, as it is on a gateway where both kinds come all the time.
  const half = Math.ceil(warmup.length / 2)
  assertClean('renewals: warm-up', await runLoad({ url: gateway.url, connections: s.connections, amount: half, requests: warmup.slice(0, half) }))
  assertClean('renewals: warm-up load', await runLoad({ url: gateway.url, connections: s.connections, durationS: s.renewalSteadyS, requests: warmup.slice(0, half) }))
  assertClean('renewals: warm-up', await runLoad({ url: gateway.url, connections: s.connections, amount: warmup.length - half, requests: warmup.slice(half) }))
  await beforeMeasured()
  const first = await measured('renewals: first requests', () => runLoad({ url: gateway.url, connections: s.connections, amount: requests.length, requests }))
  const steady = await measured('renewals: steady', () => runLoad({ url: gateway.url, connections: s.connections, durationS: s.renewalSteadyS, requests }))
  const steadyPerRequest = steady.totalUs / steady.result.ok
  const measuredRound: FirstRound = {
    sessions: first.result.ok,
    grossCpuUsPerRequest: per(first.totalUs, first.result.ok),
    steadyCpuUsPerRequest: round(steadyPerRequest, 1),
    netCpuUsPerRequest: round(first.totalUs / first.result.ok - steadyPerRequest, 1),
    ...(first.databaseUs === undefined ? {} : { databaseGrossCpuUsPerRequest: per(first.databaseUs, first.result.ok) }),
    ...(steady.databaseUs === undefined ? {} : { databaseSteadyCpuUsPerRequest: per(steady.databaseUs, steady.result.ok) }),
  }
  return { round: measuredRound, steady }
}

/** Each cookie's one request on `gateway`, which then stops. */
async function serveOnce(gateway: ServerChild, cookies: readonly string[], s: Settings): Promise<void> {
  try {
    assertClean('renewals: warm-up sessions served once', await runLoad({ url: gateway.url, connections: s.connections, amount: cookies.length, requests: hotPathRequests('gateway', cookies) }))
  } finally {
    await gateway.stop()
  }
}

const per = (us: number, n: number) => round(us / Math.max(1, n), 1)

interface Measured {
  result: LoadResult
  gatewayUs: number
  databaseUs: number | undefined
  totalUs: number
}

/** CPU of the gateway process (all its threads), plus the Postgres cluster's on Postgres, over one load. */
function measuring(gateway: ServerChild, target: RenewalTarget) {
  return async (what: string, load: () => Promise<LoadResult>): Promise<Measured> => {
    const cpu = async () => {
      const { userUs, systemUs } = await gateway.call('cpu', {})
      return userUs + systemUs
    }
    const [c0, d0] = [await cpu(), target.databaseCpuUs?.()]
    const result = assertClean(what, await load())
    const [c1, d1] = [await cpu(), target.databaseCpuUs?.()]
    const database = d0 === undefined || d1 === undefined ? undefined : d1 - d0
    return { result, gatewayUs: c1 - c0, databaseUs: database, totalUs: c1 - c0 + (database ?? 0) }
  }
}

async function measureTarget(target: RenewalTarget, cookies: readonly string[], users: readonly User[], s: Settings, log: (line: string) => void): Promise<RenewalTargetResults> {
  const warmupCookies = await target.warmupSessions(users, s.renewalWarmupSessions)
  // The warm-up sessions are served once by a process of their own first, as the measured ones
  // were (by the hot path's gateway): a session's first request on a process then finds the
  // refresh chain an earlier process started, whether it warms a process up or is measured (and
  // they carry the anomaly baseline a login records, see createSessionsWithCookies). Warmed up on
  // sessions without either, a process met the measured requests' path (the chain's current row
  // read and renewed, the baseline compared) for the first time in the measured pass: V8
  // deoptimised authenticate() and the renewal there and recompiled them, about 50 ms of
  // compiler threads over 1,000 first requests.
  await serveOnce(await target.start(), warmupCookies, s)
  const goalUs = target.kind === 'sqlite' ? RENEWAL_GOAL.sqliteMaxCpuUs : RENEWAL_GOAL.postgresMaxCpuUs
  // 1. A session's first request on a process: a round per fresh process, `s.firstRequestRounds` of them (the
  //    machine is noisy: one pass of 1,000 first requests moved by up to 250 µs per request
  //    between processes of one run); the median round is reported. The last round's process goes on to the wave.
  //    Each process's clock starts a touch interval past where the last one's ended, so in every
  //    round each session's first request also writes its idle deadline (as after a minute's
  //    pause), not only in the first round (whose sessions were last used minutes before).
  const rounds: FirstRound[] = []
  let clockFloor = 0
  const nowOf = async (g: ServerChild) => (await g.call('clockAdvance', { ms: 0 })).now
  const pastTouchInterval = async (g: ServerChild) => {
    const now = await nowOf(g)
    await g.call('clockAdvance', { ms: Math.max(now, clockFloor) + target.touchEveryMs + 1000 - now })
  }
  for (let r = 1; r < s.firstRequestRounds; r++) {
    const fresh = await target.start()
    try {
      await pastTouchInterval(fresh)
      rounds.push((await firstRequests(fresh, target, cookies, warmupCookies, s)).round)
      clockFloor = await nowOf(fresh)
    } finally {
      await fresh.stop()
    }
  }
  const gateway = await target.start()
  try {
    await pastTouchInterval(gateway)
    const requests = hotPathRequests('gateway', cookies)
    const clock = async (advanceMs = 0) => (await gateway.call('clockAdvance', { ms: Math.max(0, advanceMs) })).now
    const measured = measuring(gateway, target)
    const every = () => runLoad({ url: gateway.url, connections: s.connections, amount: cookies.length, requests })
    const during = (durationS: number) => runLoad({ url: gateway.url, connections: s.connections, durationS, requests })
    const cost = (m: Measured): LoadCost => ({
      requests: m.result.ok,
      seconds: m.result.durationS,
      rps: m.result.rps,
      p50Ms: m.result.p50Ms,
      p99Ms: m.result.p99Ms,
      cpuUsPerRequest: per(m.totalUs, m.result.ok),
      ...(m.databaseUs === undefined ? {} : { databaseCpuUsPerRequest: per(m.databaseUs, m.result.ok) }),
    })

    // The measured sessions' tokens are minted after this (the warm-up sessions' are never used again).
    let mintedFrom = 0
    const last = await firstRequests(gateway, target, cookies, warmupCookies, s, async () => (mintedFrom = await clock()))
    rounds.push(last.round)
    const steady = last.steady
    const median = [...rounds].sort((a, b) => a.netCpuUsPerRequest - b.netCpuUsPerRequest)[Math.floor(rounds.length / 2)]!
    const firstRequest: FirstRequestCost = { ...median, rounds: rounds.map((r) => r.netCpuUsPerRequest), goalUs, met: median.netCpuUsPerRequest <= goalUs }
    log(
      `  ${target.kind}: first request ${firstRequest.grossCpuUsPerRequest} µs CPU gross, ${firstRequest.netCpuUsPerRequest} µs over the steady ${firstRequest.steadyCpuUsPerRequest} µs (median of rounds ${firstRequest.rounds.join(', ')})`,
    )

    // 2. Just before the earliest renewal point (60% of the tokens' life), every session once:
    //    the idle-deadline writes the jump made due happen here, not in the wave. This pass
    //    (a write per request, no renewal) is the baseline of the renewal pass in step 4.
    //    (A token's `exp` counts from its whole second: renewal points start up to 1 s early.)
    const ttlMs = target.accessTtlS * 1000
    const windowStart = mintedFrom - 1000 + 0.6 * ttlMs
    await clock(windowStart - LEAD_MS - (await clock()))
    const touch = await measured('renewals: idle-deadline writes', every)

    // 3. The wave: the cohort's renewal points fall in the next minute; the load runs through it.
    const waveStart = await clock(windowStart - (await clock()))
    const wave = await measured('renewals: the wave', () => during(s.renewalWaveS))
    const created = await target.rows.refreshRowsCreatedSince(waveStart)
    const perSecond = new Map<number, number>()
    for (const t of created) {
      const second = Math.floor((t - waveStart) / 1000)
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
    }

    // 4. Every token due (past 80% of its life) and every idle deadline due: every session once.
    //    Each request renews and writes, where step 2's only wrote: the difference is a renewal.
    const renewFrom = await clock(ttlMs)
    const renewing = await measured('renewals: every token due', every)
    const renewedInPass = (await target.rows.refreshRowsCreatedSince(renewFrom)).length
    const passExtraUs = renewing.totalUs - (touch.totalUs / touch.result.ok) * renewing.result.ok
    const cpuUsPerRenewal = renewedInPass === 0 ? null : round(passExtraUs / renewedInPass, 1)

    const steadyCost = cost(steady)
    const waveCost = cost(wave)
    const p99WaveToSteady = round(waveCost.p99Ms / steadyCost.p99Ms, 3)
    const result: RenewalWave = {
      sessions: cookies.length,
      accessTtlS: target.accessTtlS,
      steady: steadyCost,
      wave: waveCost,
      renewals: created.length,
      renewalsPerSecond: { max: Math.max(0, ...perSecond.values()), mean: round(created.length / Math.max(1, wave.result.durationS), 2) },
      renewalPass: { ...cost(renewing), renewals: renewedInPass, baselineCpuUsPerRequest: per(touch.totalUs, touch.result.ok) },
      cpuUsPerRenewal,
      p99WaveToSteady,
      maxRefreshRowsPerSession: await target.rows.maxRefreshRowsPerSession(),
      goal: { maxCpuUs: goalUs, maxP99Ratio: RENEWAL_GOAL.maxP99Ratio, met: p99WaveToSteady <= RENEWAL_GOAL.maxP99Ratio && cpuUsPerRenewal !== null && cpuUsPerRenewal <= goalUs },
    }
    log(
      `  ${target.kind}: ${result.renewals} renewals in the ${waveCost.seconds} s wave (max ${result.renewalsPerSecond.max}/s, mean ${result.renewalsPerSecond.mean}/s), p99 ${waveCost.p99Ms} ms vs steady ${steadyCost.p99Ms} ms; ${renewedInPass} renewals at ${cpuUsPerRenewal} µs CPU each; at most ${result.maxRefreshRowsPerSession} refresh-token rows per session`,
    )
    return { firstRequest, wave: result }
  } finally {
    await gateway.stop()
  }
}

export async function measureRenewals(
  targets: { sqlite: RenewalTarget; postgres: RenewalTarget | { skipReason: string } },
  cookies: readonly string[],
  users: readonly User[],
  s: Settings,
  log: (line: string) => void,
): Promise<RenewalResults> {
  const sqlite = await measureTarget(targets.sqlite, cookies, users, s, log)
  const postgres = 'skipReason' in targets.postgres ? { skipReason: targets.postgres.skipReason } : await measureTarget(targets.postgres, cookies, users, s, log)
  return { sqlite, postgres }
}

/** The report's lines for this phase. */
export function renewalLines(r: RenewalResults): string[] {
  const rows = (label: string, t: RenewalTargetResults) => {
    const f = t.firstRequest
    const w = t.wave
    return [
      `${label}: a session's first request on a fresh process ${f.netCpuUsPerRequest.toFixed(0)} µs CPU over the steady ${f.steadyCpuUsPerRequest.toFixed(0)} µs (median of ${f.rounds.length} processes: ${f.rounds.map((r) => r.toFixed(0)).join(', ')}; goal <= ${f.goalUs}: ${f.met ? 'met' : 'NOT met'})`,
      `${label}: ${w.renewals} renewals of ${w.sessions} sessions' tokens in a ${w.wave.seconds.toFixed(0)} s wave (max ${w.renewalsPerSecond.max}/s, mean ${w.renewalsPerSecond.mean}/s); p99 ${w.wave.p99Ms.toFixed(2)} ms vs steady ${w.steady.p99Ms.toFixed(2)} ms (${w.p99WaveToSteady.toFixed(2)}x, goal <= ${w.goal.maxP99Ratio}x)`,
      `${label}: a renewal ${w.cpuUsPerRenewal === null ? 'n/a' : w.cpuUsPerRenewal.toFixed(0)} µs CPU (${w.renewalPass.renewals} renewals, goal <= ${w.goal.maxCpuUs}); refresh-token rows per session at most ${w.maxRefreshRowsPerSession}; goal ${w.goal.met ? 'met' : 'NOT met'}`,
    ]
  }
  return [
    ...rows('renewals (SQLite)', r.sqlite),
    ...('skipReason' in r.postgres ? [`renewals (Postgres): skipped, ${r.postgres.skipReason}`] : rows('renewals (Postgres)', r.postgres)),
  ]
}

/** The two targets as run.ts has them: a copy of the SQLite gateway's store, and the Postgres row's database. */
export function renewalTargets(o: {
  config: GatewayConfig
  upstreamUrl: string
  tempDir(): string
  child(init: ChildInit): Promise<ServerChild>
  postgres: BenchPostgres | { skipReason: string }
}): { sqlite: RenewalTarget; postgres: RenewalTarget | { skipReason: string } } {
  const sqliteDir = o.tempDir()
  const sqliteEnv = gatewayEnv(sqliteDir, o.upstreamUrl)
  const sqliteConfig = configOf(sqliteEnv, sqliteDir)
  let copied = false
  const copyOnce = () => {
    if (!copied) copyDatabase(o.config, sqliteConfig)
    copied = true
  }
  const sqlite: RenewalTarget = {
    kind: 'sqlite',
    accessTtlS: sqliteConfig.accessTtlS,
    touchEveryMs: touchIntervalMs(sqliteConfig.idleTtlS),
    rows: sqliteRows(dbPath(sqliteConfig)),
    // A copy of the store, made before the warm-up sessions are added to it; every process of
    // the phase (one per round) opens that same copy.
    warmupSessions: (users, count) => {
      copyOnce()
      return createSessionsWithCookies(sqliteConfig, users, count)
    },
    start: () => {
      copyOnce()
      return o.child({ role: 'gateway', env: sqliteEnv, dir: sqliteDir, movableClock: true })
    },
  }
  if ('skipReason' in o.postgres) return { sqlite, postgres: { skipReason: o.postgres.skipReason } }
  const postgres = o.postgres
  const dir = o.tempDir()
  const env = { ...gatewayEnv(dir, o.upstreamUrl), DATABASE_URL: postgres.url }
  return {
    sqlite,
    postgres: {
      kind: 'postgres',
      accessTtlS: configOf(env, dir).accessTtlS,
      touchEveryMs: touchIntervalMs(configOf(env, dir).idleTtlS),
      rows: postgresRows(postgres.url),
      // Then VACUUM ANALYZE: 2,000 new sessions would otherwise have autovacuum analyse the
      // tables in the middle of a measured pass (its CPU is counted: the cluster's process tree).
      warmupSessions: async (users, count) => {
        const cookies = await createSessionsWithCookies(configOf(env, dir), users, count)
        const client = new pg.Client({ connectionString: postgres.url })
        await client.connect()
        try {
          await client.query('VACUUM ANALYZE')
        } finally {
          await client.end()
        }
        return cookies
      },
      databaseCpuUs: postgres.cpuUs,
      // The database the Postgres row's gateway warmed: this new process has remembered nothing.
      start: () => o.child({ role: 'gateway', env, dir, movableClock: true }),
    },
  }
}

/** Goal 3 of issue 12, bound by bound, per store (a store this run could not measure is not met). */
export function renewalGoals(r: RenewalResults): GoalCheck[] {
  const checks: GoalCheck[] = []
  for (const [label, result] of [['SQLite', r.sqlite], ['Postgres', r.postgres]] as const) {
    const skip = 'skipReason' in result && result.skipReason !== undefined ? { skipReason: result.skipReason } : undefined
    const t = skip === undefined ? (result as RenewalTargetResults) : undefined
    const max = label === 'SQLite' ? RENEWAL_GOAL.sqliteMaxCpuUs : RENEWAL_GOAL.postgresMaxCpuUs
    const db = label === 'Postgres' ? ' (gateway + Postgres)' : ''
    checks.push(
      atMost(3, `${label}: a session's first request on a process, CPU µs over a steady request${db}`, skip ?? t!.firstRequest.netCpuUsPerRequest, max),
      atMost(3, `${label}: one token renewal, CPU µs${db}`, skip ?? t!.wave.cpuUsPerRenewal, max),
      atMost(3, `${label}: p99 while ${t?.wave.sessions ?? 'the'} sessions renew within a minute / steady p99`, skip ?? t!.wave.p99WaveToSteady, RENEWAL_GOAL.maxP99Ratio),
      atMost(3, `${label}: renewals in the wave's busiest second / its mean (a cohort spread out)`, skip ?? (t!.wave.renewalsPerSecond.mean > 0 ? t!.wave.renewalsPerSecond.max / t!.wave.renewalsPerSecond.mean : null), RENEWAL_GOAL.maxBusiestToMean),
      atMost(3, `${label}: refresh-token rows of any one session after the wave (bounded)`, skip ?? t!.wave.maxRefreshRowsPerSession, RENEWAL_GOAL.maxRefreshRows),
    )
  }
  return checks
}
