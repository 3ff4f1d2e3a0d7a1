import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlite } from '@gatehouse/store-sqlite'
import type { GatewayConfig } from '../../gateway/src/config/config.js'
import { startChild, type ServerChild } from './child-process.js'
import { atCleanup } from './cleanup.js'
import { getOk } from './http-client.js'
import { machineInfo } from './machine.js'
import { measureForwardAuth } from './phases/forward-auth.js'
import { childTarget, hotPathGoals, measureHotPath, type HotPathTarget, type Targets } from './phases/hot-path.js'
import { logInUsers } from './phases/logins.js'
import { measureMemory } from './phases/memory.js'
import { measureValidation } from './phases/session-validation.js'
import { measureStreams } from './phases/stream.js'
import { profileHotPath } from './phases/profile.js'
import { measureMassRevocation, measureVerifyCost } from './phases/mass-revocation.js'
import { measureFeedAndPaseto } from './phases/token-formats.js'
import { startNginxProxy, type NginxProxy } from './nginx-proxy.js'
import { measureRenewals, renewalGoals, renewalTargets } from './phases/renewals.js'
import { startPostgres, type BenchPostgres } from './postgres.js'
import type { BenchResults, GoalCheck, PostgresInfo, ProfileResults } from './results.js'
import { runWorkersPhase, workersGoals } from './phases/workers.js'
import { benchPasswordHash, configOf, copyUsersAndSessions, copyDatabase, dbPath, gatewayEnv, insertFillerSessions, insertSessionsWithCookies, seedUsers } from './seed.js'
import type { Settings } from './settings.js'
import { round } from './stats.js'

type PostgresSetup = { skipReason: string } | { skipReason?: undefined; postgres: BenchPostgres; sessions: number; gateway: ServerChild }

export interface RunOptions {
  settings: Settings
  /** Where to write CPU profiles of the gateway and the bare proxy under hot-path load; none without. */
  profileDir?: string
  log(line: string): void
}

export const METHOD = [
  'Every server runs in its own child process (forked under tsx, like `pnpm bench`); autocannon runs in the parent, which does nothing else while it measures.',
  "Targets: direct = the node:http JSON upstream; bare = the minimal Hono proxy a user would write (bare-proxy.ts, about thirty lines): @hono/node-server's serve, http.request through a node:http keep-alive Agent, the answer streamed back as new Response(Readable.toWeb(res)), hop-by-hop headers dropped both ways; it shares no code with the gateway (the baseline of issue 12's goal 1); gateway = startGateway() on a SQLite file; gateway (Postgres) = the same startGateway() and settings with DATABASE_URL on a throwaway local Postgres cluster (store-postgres's test harness: fsync off, over TCP with SCRAM, the gateway's default pool).",
  "nginx (reference): Debian's /usr/sbin/nginx, 1 worker, the README's site without auth_request (apps/gateway/test/nginx.ts: keepalive 32 to the upstream, HTTP/1.1) proxying /api/bench/ to the same upstream, in the same rotating rounds; its CPU per request is the master's and the worker's user + system time from /proc (10 ms ticks). A reference row, not a goal; skipped, with the reason in hotPath.nginx.skipReason, when /usr/sbin/nginx is missing.",
  'Goals: issue 12\'s goals bound by bound in `goals` (goal number, measure, bound as the issue states it, value, met); a bound this run could not measure (no Postgres) is not met. Goal 1: SQLite gateway / bare proxy req/s >= 0.85, CPU per request <= 1.2, p99 <= bare p99 + 1 ms; goal 2: Postgres gateway / SQLite gateway req/s >= 0.8, (Postgres gateway + Postgres server) / SQLite gateway CPU per request <= 1.3.',
  'The Postgres gateway serves the same users and cookies: after the logins, users and sessions are copied from the SQLite store through the stores\' createUser/createSession (both gateways seal cookies with the same secret). The row is skipped, with the reason in hotPath.postgres.skipReason, when no Postgres can be started.',
  'Load: autocannon, pipelining 1; latencies from its per-response times (sub-millisecond), 2xx only; any non-2xx or error aborts the run.',
  'Hot path: GET /api/bench/items/42 spread over one cookie per logged-in user, each of the 50 connections cycling through its own 20 of the 1,000 cookies; direct, nginx and bare get the same requests (and pass the cookies on unread).',
  'Server CPU µs/req: process.cpuUsage() of the target\'s own process (over IPC) around each run, divided by the answers; unlike req/s it barely moves when other work shares the cores. For the Postgres gateway, the cluster\'s CPU (postmaster, backends and reaped backends, from /proc, 10 ms ticks) is counted separately; SQLite runs inside the gateway\'s process.',
  'Rounds: a warm-up per target (each gateway first gets every cookie once: a session\'s first request unseals its cookie and mints a JWT), then each round runs every target once, starting one target later than the round before; the table shows medians over rounds.',
  'Users share one precomputed argon2id hash and are created through the store; each logs in with POST /auth/login over HTTP, 4 at a time: that is the login throughput.',
  'GATEHOUSE_ROTATE_EVERY is 86400 s for the bench, so no cookie is rotated (no Set-Cookie to follow) during a run.',
  'Session validation: GET /auth/session over the same cookies against the gateway (only the logged-in sessions in its store) and a second gateway on a copy of that store plus filler sessions inserted straight into SQLite in one transaction, alternating round by round.',
  'Memory: a fresh gateway child; RSS and heap read over IPC after two global.gc() passes, before and after every one of the sessions answered GET /auth/session once (cookies sealed by the bench as the gateway seals them).',
  'Forward auth: two nginx processes (Debian\'s, 1 worker each, keepalive to their upstreams, the config of the README\'s example) on the same upstream: one alone, one with the gateway as its auth_request; beside them the gateway proxying itself, GET /auth/forward straight at the gateway (X-Original-URI = the hot path\'s request) and GET /auth/session, over the hot path\'s cookies, rounds rotating the order. CPU is the gateway process\'s per answered request. Skipped, with the reason, when /usr/sbin/nginx is missing.',
  'Token formats: the SQLite gateway alternated, round by round, with 4 revocation-feed event streams open to it (what following services hold; its one store poll per 250 ms runs only then) and without; and two fresh gateways on copies of its store, one with GATEHOUSE_TOKEN_FORMAT=paseto, one with the JWT default, started and warmed up alike (every cookie once, then the warm-up), PASETO compared with that one.',
  'Mass revocation: one UPDATE revokes that many live sessions of the large store (the feed trigger writes an entry per session); then the feed is read as JSON pages from cursor 0 (sizes as sent, and gzip-compressed as the gateway sends them to clients that accept gzip), and a fresh @gatehouse/verify follower is timed from createVerifier until it holds every entry.',
  'Verify cost: in the bench process, verify() of an Ed25519 JWT by a verifier with no feed, by one following the mass-revocation feed (its entries in memory), and of a PASETO v4.public token with the same key; awaited one after another for 1 s each.',
  "Workers: fresh gateways at GATEHOUSE_WORKERS=1 and =2 (node:cluster: a primary and two workers on one port), on copies of the SQLite store and on the Postgres database, warmed up like the hot path's, then rounds of the hot path's load, the order turning. Gateway CPU is the whole process tree's (primary and workers, from /proc, 10 ms ticks); the load generator's own CPU (process.cpuUsage() of the bench process around each run) is reported beside it, since on a 2-core machine it competes with the workers.",
  "Renewals: a fresh gateway child (its clock the system's plus an offset the bench moves over IPC) on a copy of the SQLite store, and one on the Postgres row's database. First request, on each of `firstRequestRounds` fresh processes (the median reported): sessions of their own (renewalWarmupSessions, added to the store through its createSession with the anomaly baseline a login records, then each served once by a process of their own, so that their refresh chains exist as the measured sessions' do) warm the new process unmeasured (their first requests, then the steady run's length of load on them), then every cookie once: CPU per request, gross and over the steady CPU per request measured right after (Postgres cluster CPU included on Postgres); the last process goes on to the wave. Wave: the clock moves to 3 s before the tokens' earliest renewal point (60% of their life), every cookie once (the idle-deadline writes that jump made due), then to that point, and the hot-path load runs through the wave; renewals = refresh-token rows created in it (by created_at, per second); p99 of the wave over the steady run's. Renewal cost: the clock moves one token lifetime on, every cookie once (every token due, every idle deadline due) against the pass before the wave (idle deadlines due, no token): the CPU difference over the renewals counted in the store. Then the most refresh-token rows any session has.",
  'Streams: the gateway child samples its RSS every 100 ms while the bytes (generated on the fly at both ends) pass through /api/bench/.',
]

function countSessions(config: GatewayConfig): number {
  const { client } = openSqlite(dbPath(config))
  try {
    return (client.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n
  } finally {
    client.close()
  }
}

export async function runBench({ settings: s, profileDir, log }: RunOptions): Promise<BenchResults> {
  const startedAt = new Date()
  const loadBefore = loadavg()
  if (loadBefore[0]! > 1) log(`warning: load average ${loadBefore[0]!.toFixed(2)} before the start: other work on this machine will skew the numbers`)
  const started = performance.now()
  const phaseSeconds: Record<string, number> = {}
  const phase = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const t = performance.now()
    try {
      return await work()
    } finally {
      phaseSeconds[name] = round((performance.now() - t) / 1000, 1)
    }
  }
  const children: ServerChild[] = []
  const dirs: string[] = []
  const child = async (...args: Parameters<typeof startChild>) => {
    const c = await startChild(...args)
    children.push(c)
    return c
  }
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
    dirs.push(dir)
    return dir
  }
  let postgres: BenchPostgres | undefined
  let nginx: NginxProxy | undefined
  // Issue 12's goals, bound by bound: each phase that measures one pushes its checks here, and
  // the report prints them in one block (goals 1 and 2: the hot path; 3: renewals; 4: workers).
  const goals: GoalCheck[] = []
  const cleanUp = atCleanup(async () => {
    await Promise.all(children.map((c) => c.stop()))
    await nginx?.stop()
    await postgres?.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  try {
    log('starting the upstream, the bare proxy and the gateway')
    const { upstream, bare, gateway, config, users, passwordHash } = await phase('start', async () => {
      const upstream = await child({ role: 'upstream' })
      const bare = await child({ role: 'bare', upstreamUrl: upstream.url })
      const passwordHash = await benchPasswordHash()
      const dir = tempDir()
      const env = gatewayEnv(dir, upstream.url)
      const config = configOf(env, dir)
      const users = await seedUsers(config, 'bench-', s.users, passwordHash)
      const gateway = await child({ role: 'gateway', env, dir })
      return { upstream, bare, gateway, config, users, passwordHash }
    })

    log(`logging ${s.users} users in over HTTP, ${s.loginConnections} at a time`)
    const { cookies, login } = await phase('logins', () => logInUsers(gateway.url, users.map((u) => u.username), s.loginConnections))
    await getOk(`${upstream.url}/items/42`)
    await getOk(`${bare.url}/api/bench/items/42`)
    await getOk(`${gateway.url}/api/bench/items/42`, { cookie: cookies[0]! })

    log('a throwaway Postgres cluster with a copy of the users and sessions, and a gateway on it')
    const pg = await phase('postgresStart', async (): Promise<PostgresSetup> => {
      const started = await startPostgres('gatehouse_bench')
      if (started.skipReason !== undefined) return started
      postgres = started.postgres
      const dir = tempDir()
      const env = { ...gatewayEnv(dir, upstream.url), DATABASE_URL: postgres.url }
      const sessions = await copyUsersAndSessions(config, configOf(env, dir), users)
      return { postgres, sessions, gateway: await child({ role: 'gateway', env, dir }) }
    })
    let postgresTarget: HotPathTarget | undefined
    if (pg.skipReason !== undefined) log(`no gateway (Postgres) row: ${pg.skipReason}`)
    else {
      await getOk(`${pg.gateway.url}/api/bench/items/42`, { cookie: cookies[0]! })
      postgresTarget = childTarget(pg.gateway, cookies, { gateway: true, databaseCpuUs: pg.postgres.cpuUs })
    }
    const postgresInfo: PostgresInfo = pg.skipReason !== undefined ? { skipReason: pg.skipReason } : { server: pg.postgres.server, sessions: pg.sessions }

    log('nginx (1 worker) proxying /api/bench/ to the same upstream: the reference row')
    const nginxStarted = await phase('nginxStart', () => startNginxProxy(upstream.url, gateway.url))
    let nginxTarget: Targets['nginx']
    if (nginxStarted.skipReason !== undefined) {
      log(`no nginx row: ${nginxStarted.skipReason}`)
      nginxTarget = { skipReason: nginxStarted.skipReason }
    } else {
      nginx = nginxStarted.nginx
      await getOk(`${nginx.url}/api/bench/items/42`)
      nginxTarget = { version: nginx.version, target: { url: nginx.url, cookies, cpuUs: nginx.cpuUs } }
    }

    log(`hot path: ${s.connections} connections, ${s.rounds} rounds x ${s.roundS} s per target`)
    const hotPath = await phase('hotPath', async () => ({
      ...(await measureHotPath(
        {
          direct: childTarget(upstream, cookies),
          nginx: nginxTarget,
          bare: childTarget(bare, cookies),
          gateway: childTarget(gateway, cookies, { gateway: true }),
          ...(postgresTarget === undefined ? {} : { gatewayPostgres: postgresTarget }),
        },
        s,
        log,
      )),
      postgres: postgresInfo,
    }))
    goals.push(...hotPathGoals(hotPath))
    await nginx?.stop()
    nginx = undefined
    log('GATEHOUSE_WORKERS: the hot path at 1 and 2 workers, fresh gateways on copies of the SQLite store and on the Postgres database')
    const workers = await phase('workers', () =>
      runWorkersPhase({ config, upstreamUrl: upstream.url, cookies, postgres: pg.skipReason === undefined ? { url: pg.postgres.url, cpuUs: pg.postgres.cpuUs } : pg, child, tempDir, settings: s, log }),
    )
    log(`renewals: a fresh gateway per store, every session's first request, then a ${s.renewalWaveS} s wave of its tokens' renewals (its clock moved forward)`)
    const renewals = await phase('renewals', () =>
      measureRenewals(renewalTargets({ config, upstreamUrl: upstream.url, tempDir, child, postgres: pg.skipReason === undefined ? pg.postgres : pg }), cookies, users, s, log),
    )
    goals.push(...renewalGoals(renewals), ...workersGoals(workers))
    if (pg.skipReason === undefined) {
      // Nothing else uses them: their memory and CPU go back to the other phases.
      await pg.gateway.stop()
      await pg.postgres.stop()
    }
    let profile: ProfileResults | undefined
    if (profileDir !== undefined) {
      log(`profiling the gateway and the bare proxy under the same load, ${s.profileS} s each`)
      profile = await phase('profile', () => profileHotPath(gateway, bare, cookies, profileDir, s))
    }
    await bare.stop()

    log(`forward authentication: nginx alone, nginx + auth_request, the gateway proxying; /auth/forward vs /auth/session`)
    const forwardAuth = await phase('forwardAuth', () => measureForwardAuth(gateway, upstream.url, cookies, s, log))
    if (forwardAuth.skipReason !== undefined) log(`no forward-auth rows: ${forwardAuth.skipReason}`)
    log('the hot path with revocation-feed streams open, and with GATEHOUSE_TOKEN_FORMAT=paseto on a copy of the store')
    const tokenFormats = await phase('tokenFormats', async () => {
      const copy = async (format: 'jwt' | 'paseto') => {
        const dir = tempDir()
        const env = { ...gatewayEnv(dir, upstream.url), GATEHOUSE_TOKEN_FORMAT: format }
        copyDatabase(config, configOf(env, dir))
        return child({ role: 'gateway', env, dir })
      }
      const fresh = { jwt: await copy('jwt'), paseto: await copy('paseto') }
      try {
        return await measureFeedAndPaseto(gateway, fresh, cookies, s, log)
      } finally {
        await Promise.all([fresh.jwt.stop(), fresh.paseto.stop()])
      }
    })

    const largeDir = tempDir()
    const largeEnv = gatewayEnv(largeDir, upstream.url)
    const largeConfig = configOf(largeEnv, largeDir)
    const filler = s.largeSessions - countSessions(config)
    log(`a copy of the gateway's store with ${filler} filler sessions added, for a second gateway`)
    await phase('fillerInsert', () => {
      copyDatabase(config, largeConfig)
      insertFillerSessions(largeConfig, users, filler)
    })
    const largeGateway = await child({ role: 'gateway', env: largeEnv, dir: largeDir })
    log(`session validation: ${countSessions(config)} vs ${countSessions(largeConfig)} sessions in the store, alternating`)
    const validation = await phase('validation', () =>
      measureValidation(
        { url: gateway.url, sessionsInStore: countSessions(config) },
        { url: largeGateway.url, sessionsInStore: countSessions(largeConfig) },
        cookies,
        s,
        log,
      ),
    )
    log(`mass revocation: ${s.massRevocations} sessions of the large store revoked at once, then the feed read and followed`)
    const massRevocation = await phase('massRevocation', () => measureMassRevocation(largeConfig, largeGateway.url, s.massRevocations))
    log('verify() cost in a service: JWT, JWT following that feed, PASETO')
    const verifyCost = await phase('verifyCost', () => measureVerifyCost(`${largeGateway.url}/.well-known/gatehouse/revocations`, massRevocation.sessions))
    await largeGateway.stop()

    log(`streaming ${s.streamBytes} bytes down and up through the gateway`)
    const stream = await phase('stream', () => measureStreams(gateway, cookies[0]!, s.streamBytes))
    await gateway.stop()

    log(`memory: a fresh gateway, ${s.memorySessions} sessions used once`)
    const warmCount = Math.min(1000, s.memorySessions)
    const mem = await phase('memorySeed', async () => {
      const dir = tempDir()
      const env = gatewayEnv(dir, upstream.url)
      const config = configOf(env, dir)
      const users = await seedUsers(config, 'mem-', s.users, passwordHash)
      return { env, dir, cookies: await insertSessionsWithCookies(config, users, warmCount + s.memorySessions) }
    })
    const memory = await phase('memory', async () => {
      const memGateway = await child({ role: 'gateway', env: mem.env, dir: mem.dir })
      return measureMemory(memGateway, mem.cookies.slice(0, warmCount), mem.cookies.slice(warmCount), s)
    })

    return {
      version: 1,
      startedAt: startedAt.toISOString(),
      totalSeconds: round((performance.now() - started) / 1000, 1),
      machine: machineInfo(),
      loadAverage: { before: loadBefore.map((l) => round(l, 2)), after: loadavg().map((l) => round(l, 2)) },
      phaseSeconds,
      settings: s,
      method: METHOD,
      goals,
      hotPath,
      login,
      sessionValidation: { ...validation, fillerInsertSeconds: phaseSeconds.fillerInsert ?? Number.NaN },
      memory,
      stream,
      forwardAuth,
      tokenFormats,
      massRevocation,
      verifyCost,
      workers,
      renewals,
      ...(profile === undefined ? {} : { profile }),
    }
  } finally {
    await cleanUp()
  }
}
