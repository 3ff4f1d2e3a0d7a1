import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx')

function runQuickBench(out: string, profileDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['--conditions=source', 'apps/bench/src/main.ts', '--quick', '--out', out, '--profile', '--profile-dir', profileDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += String(d)))
    child.stderr.on('data', (d) => (stderr += String(d)))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value)

/** The paths (a.b.c) in `value` whose leaf is not a finite number. */
function notNumbers(value: Record<string, unknown>, paths: string[]): string[] {
  return paths.filter((path) => !isNumber(path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value)))
}

describe('pnpm bench --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs end to end, profiles included, and writes every section with numbers', async () => {
    const out = join(dir, 'bench-results.json')
    const run = await runQuickBench(out, join(dir, 'profiles'))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/gateway/)
    const results = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>

    const target = (name: string) => [`hotPath.${name}.rps`, `hotPath.${name}.p50Ms`, `hotPath.${name}.p99Ms`, `hotPath.${name}.rounds.0.rps`]
    const stream = (dir: string) => [`stream.${dir}.bytes`, `stream.${dir}.seconds`, `stream.${dir}.mbPerSecond`, `stream.${dir}.rssBeforeBytes`, `stream.${dir}.peakRssBytes`]
    expect(
      notNumbers(results, [
        'totalSeconds',
        'machine.cores',
        'machine.memoryBytes',
        'loadAverage.before.0',
        ...target('direct'),
        ...target('bare'),
        ...target('gateway'),
        'hotPath.gatewayToBare',
        'hotPath.gatewayToDirect',
        'hotPath.p99OverBareMs',
        'login.loginsPerSecond',
        'login.p50Ms',
        'login.p99Ms',
        'sessionValidation.small.rps',
        'sessionValidation.small.sessionsInStore',
        'sessionValidation.large.rps',
        'sessionValidation.large.sessionsInStore',
        'sessionValidation.largeToSmall',
        'memory.sessions',
        'memory.rssBeforeBytes',
        'memory.rssAfterBytes',
        'memory.rssDeltaBytes',
        'memory.heapUsedDeltaBytes',
        ...stream('download'),
        ...stream('upload'),
        'profile.gateway.requests',
        'profile.gateway.busyUsPerRequest',
        'profile.bare.requests',
        'profile.bare.busyUsPerRequest',
        'profile.deltaModules.0.deltaUs',
        'profile.deltaFunctions.0.gatewayUs',
        'tokenFormats.jwt.rps',
        'tokenFormats.jwtWithFeed.rps',
        'tokenFormats.paseto.rps',
        'tokenFormats.feedToNoFeed.rps',
        'tokenFormats.feedToNoFeed.cpu',
        'tokenFormats.pasetoToJwt.rps',
        'tokenFormats.pasetoToJwt.cpu',
        'massRevocation.sessions',
        'massRevocation.revokeSeconds',
        'massRevocation.json.bytes',
        'massRevocation.json.gzipBytes',
        'massRevocation.json.seconds',
        'massRevocation.streamCatchUpSeconds',
        'verifyCost.jwtPerSecond',
        'verifyCost.jwtWithFeedPerSecond',
        'verifyCost.pasetoPerSecond',
        ...['one', 'two'].flatMap((w) => [`workers.sqlite.${w}.rps`, `workers.sqlite.${w}.p99Ms`, `workers.sqlite.${w}.gatewayCpuUsPerRequest`, `workers.sqlite.${w}.loadGeneratorCpuUsPerRequest`]),
        'workers.sqlite.twoToOne',
        'renewals.sqlite.firstRequest.grossCpuUsPerRequest',
        'renewals.sqlite.firstRequest.netCpuUsPerRequest',
        'renewals.sqlite.wave.renewals',
        'renewals.sqlite.wave.steady.p99Ms',
        'renewals.sqlite.wave.wave.p99Ms',
        'renewals.sqlite.wave.p99WaveToSteady',
        'renewals.sqlite.wave.maxRefreshRowsPerSession',
      ]),
    ).toEqual([])
    expect(run.stdout).toMatch(/^ {2}SQLite {3}2 workers: +[\d,]+ req\/s/m)
    expect(run.stdout).toMatch(/^renewals \(SQLite\): a session's first request on a fresh process -?\d+ µs/m)
    // Every session got its first token, and keeps a bounded number of refresh-token rows (current + 2 consumed in steady use).
    expect((results as { renewals: { sqlite: { wave: { maxRefreshRowsPerSession: number } } } }).renewals.sqlite.wave.maxRefreshRowsPerSession).toBeLessThanOrEqual(3)
    // The Postgres row: numbers, or (only outside CI) the reason there is none.
    const postgres = (results.hotPath as { postgres: { skipReason?: unknown; server?: unknown } }).postgres
    if (process.env.CI === 'true' || process.env.CI === '1') expect(postgres.skipReason, 'Postgres is required under CI').toBeUndefined()
    if (postgres.skipReason === undefined) {
      expect(typeof postgres.server).toBe('string')
      expect(
        notNumbers(results, [
          ...target('gatewayPostgres'),
          'hotPath.gatewayPostgres.cpuUsPerRequest',
          'hotPath.gatewayPostgresToBare',
          'hotPath.gatewayPostgresToSqlite',
          'hotPath.postgres.sessions',
          // The Postgres server's CPU comes from /proc.
          ...(process.platform === 'linux' ? ['hotPath.gatewayPostgres.postgresCpuUsPerRequest', 'hotPath.cpuGatewayPostgresToSqlite'] : []),
          'workers.postgres.one.rps',
          'workers.postgres.two.rps',
          'workers.postgres.twoToOne',
          'renewals.postgres.firstRequest.netCpuUsPerRequest',
          'renewals.postgres.wave.renewals',
          'renewals.postgres.wave.maxRefreshRowsPerSession',
        ]),
      ).toEqual([])
      expect(run.stdout).toMatch(/^gateway \(Postgres\) +[\d,]+ /m)
    } else {
      expect(typeof postgres.skipReason).toBe('string')
      expect(postgres.skipReason).not.toBe('')
      expect(results.hotPath).not.toHaveProperty('gatewayPostgres')
      expect(run.stderr).toContain(`no gateway (Postgres) row: ${String(postgres.skipReason)}`)
    }

    // The forward-auth rows: numbers, or (only outside CI) the reason there are none.
    const forward = results.forwardAuth as { skipReason?: unknown; nginx?: unknown }
    if (process.env.CI === 'true' || process.env.CI === '1') expect(forward.skipReason, 'nginx is required under CI').toBeUndefined()
    if (forward.skipReason === undefined) {
      expect(forward.nginx).toMatch(/nginx/)
      const rows = ['nginxAlone', 'nginxAuthRequest', 'gatewayProxy', 'forwardDecision', 'sessionCheck'].flatMap((t) => [`forwardAuth.${t}.rps`, `forwardAuth.${t}.p99Ms`, `forwardAuth.${t}.cpuUsPerRequest`])
      expect(notNumbers(results, [...rows, 'forwardAuth.authRequestToNginxAlone', 'forwardAuth.forwardToSession', 'forwardAuth.cpuForwardToSession'])).toEqual([])
      expect(run.stdout).toMatch(/^nginx \+ gateway auth_request +[\d,]+ /m)
      expect(run.stdout).toMatch(/^nginx alone +[\d,]+ /m)
    } else {
      expect(run.stdout).toContain(`forward auth: skipped, ${String(forward.skipReason)}`)
    }

    // The nginx reference row: numbers (its CPU from /proc), or (only outside CI) why there is none.
    const nginx = (results.hotPath as { nginx: { skipReason?: unknown; version?: unknown } }).nginx
    if (process.env.CI === 'true' || process.env.CI === '1') expect(nginx.skipReason, 'nginx is required under CI').toBeUndefined()
    if (nginx.skipReason === undefined) {
      expect(nginx.version).toMatch(/^nginx\//)
      expect(notNumbers(results, [...target('nginx'), 'hotPath.nginx.cpuUsPerRequest'])).toEqual([])
      expect((results.hotPath as { nginx: { cpuUsPerRequest: number } }).nginx.cpuUsPerRequest).toBeGreaterThan(0)
      expect(run.stdout).toMatch(/^nginx \(reference\) +[\d,]+ /m)
    } else {
      expect(run.stdout).toContain(`nginx (reference): skipped, ${String(nginx.skipReason)}`)
    }

    // The four goals of issue 12, bound by bound, each printed with its verdict.
    const goals = results.goals as Array<{ goal: number; measure: string; bound: string; value: number | null; met: boolean; skipReason?: string }>
    expect(goals.map((g) => [g.goal, g.bound])).toEqual([
      [1, '>= 0.85'],
      [1, '<= 1.2'],
      [1, '<= 1'],
      [2, '>= 0.8'],
      [2, '<= 1.3'],
      ...[400, 800].flatMap((cpu) => [[3, `<= ${cpu}`], [3, `<= ${cpu}`], [3, '<= 2'], [3, '<= 3'], [3, '<= 33']]),
      [4, 'reported'],
      [4, 'reported'],
      [4, 'reported'],
      [4, 'reported'],
    ])
    for (const g of goals) {
      if (g.value === null) expect(g.met).toBe(false)
      expect(run.stdout).toMatch(new RegExp(`^  goal ${g.goal} +${escapeRegExp(g.measure)} +${escapeRegExp(g.bound)} +.* ${g.met ? 'met' : 'NOT MET'}$`, 'm'))
    }
    expect(goals.slice(0, 3).map((g) => g.value)).toEqual([
      (results.hotPath as { gatewayToBare: number }).gatewayToBare,
      (results.hotPath as { cpuGatewayToBare: number }).cpuGatewayToBare,
      (results.hotPath as { p99OverBareMs: number }).p99OverBareMs,
    ])
    expect(run.stdout).toMatch(/^goal 1: (MET|NOT MET); goal 2: (MET|NOT MET); goal 3: (MET|NOT MET); goal 4: (MET|NOT MET)$/m)

    const r = results as {
      machine: { cpuModel: unknown; node: unknown }
      settings: { mode: unknown }
      sessionValidation: { small: { sessionsInStore: number }; large: { sessionsInStore: number } }
    }
    expect(typeof r.machine.cpuModel).toBe('string')
    expect(r.machine.node).toBe(process.version)
    expect(r.settings.mode).toBe('quick')
    // Every revoked session reached the feed, and a follower held them all.
    expect((results as { massRevocation: { sessions: number } }).massRevocation.sessions).toBe(5_000)
    expect((results as { verifyCost: { revokedInMemory: number } }).verifyCost.revokedInMemory).toBe(5_000)
    expect(r.sessionValidation.large.sessionsInStore).toBeGreaterThan(r.sessionValidation.small.sessionsInStore)
    expect(existsSync(join(dir, 'profiles', 'gateway.cpuprofile'))).toBe(true)
    expect(existsSync(join(dir, 'profiles', 'bare.cpuprofile'))).toBe(true)
  }, 240_000)
})
