import type { BenchResults, GoalCheck } from './results.js'
import { workersReportLines } from './phases/workers.js'
import { renewalLines } from './phases/renewals.js'

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`
const num = (n: number) => Math.round(n).toLocaleString('en-US')

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd())
}

/** Issue 12's goals, bound by bound, then each goal's verdict: met only when all its bounds are. */
export function goalLines(goals: readonly GoalCheck[]): string[] {
  if (goals.length === 0) return []
  const sorted = [...goals].sort((a, b) => a.goal - b.goal)
  const numbers = [...new Set(sorted.map((g) => g.goal))]
  const value = (g: GoalCheck) => (g.value === null ? `not measured: ${g.skipReason ?? 'no value'}` : String(g.value))
  const measureWidth = Math.max(...sorted.map((g) => g.measure.length))
  const boundWidth = Math.max(...sorted.map((g) => g.bound.length))
  const valueWidth = Math.max(...sorted.map((g) => value(g).length))
  return [
    '',
    'issue 12 goals, as the issue states them (a bound this run could not measure is not met):',
    ...sorted.map((g) => `  goal ${g.goal}   ${g.measure.padEnd(measureWidth)}   ${g.bound.padEnd(boundWidth)}   ${value(g).padStart(valueWidth)}   ${g.met ? 'met' : 'NOT MET'}`),
    numbers.map((n) => `goal ${n}: ${sorted.filter((g) => g.goal === n).every((g) => g.met) ? 'MET' : 'NOT MET'}`).join('; '),
  ]
}

function forwardAuthLines(r: BenchResults): string[] {
  const f = r.forwardAuth
  if (f.skipReason !== undefined) return [`forward auth: skipped, ${f.skipReason}`]
  const row = (label: string, t: { rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number }, ratio: string) => [
    label,
    num(t.rps),
    t.p50Ms.toFixed(2),
    t.p99Ms.toFixed(2),
    ratio,
    t.cpuUsPerRequest.toFixed(0),
  ]
  return [
    '',
    `forward authentication (${f.nginx}, same upstream and cookies, median of ${r.settings.rounds} rounds):`,
    ...table([
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'gateway CPU µs/req'],
      row('nginx alone', f.nginxAlone, ''),
      row('nginx + gateway auth_request', f.nginxAuthRequest, `${f.authRequestToNginxAlone.toFixed(3)} of nginx alone`),
      row('gateway proxying itself', f.gatewayProxy, `${(f.gatewayProxy.rps / f.nginxAlone.rps).toFixed(3)} of nginx alone`),
      row('GET /auth/forward (decision)', f.forwardDecision, `${f.forwardToSession.toFixed(3)} of /auth/session`),
      row('GET /auth/session (session check)', f.sessionCheck, ''),
    ]),
    `nginx + auth_request / gateway proxying: ${f.authRequestToGatewayProxy.toFixed(3)} req/s; /auth/forward / /auth/session CPU per request: ${f.cpuForwardToSession.toFixed(3)}`,
    '',
  ]
}

export function formatReport(r: BenchResults): string {
  const h = r.hotPath
  const s = r.settings
  const pg = h.gatewayPostgres
  const info = h.postgres
  // The Postgres row adds two columns: its ratio to the SQLite gateway, and the Postgres server's CPU.
  const extra = (cells: string[]) => (pg === undefined ? [] : cells)
  const pgLines =
    info.skipReason !== undefined
      ? [`gateway (Postgres): skipped, ${info.skipReason}`]
      : pg === undefined
        ? []
        : [
            `gateway on ${info.server} / on SQLite: ${h.gatewayPostgresToSqlite?.toFixed(3)} req/s, p99 ${pg.p99Ms.toFixed(2)} vs ${h.gateway.p99Ms.toFixed(2)} ms; ` +
              (pg.postgresCpuUsPerRequest === null
                ? 'the Postgres server CPU could not be read'
                : `CPU per request, gateway + Postgres server / SQLite gateway: ${(pg.cpuUsPerRequest + pg.postgresCpuUsPerRequest).toFixed(0)} / ${h.gateway.cpuUsPerRequest.toFixed(0)} µs = ${h.cpuGatewayPostgresToSqlite?.toFixed(3)}`),
          ]
  const nginx = h.nginx
  const nginxLines =
    nginx.skipReason !== undefined
      ? [`nginx (reference): skipped, ${nginx.skipReason}`]
      : [`nginx (reference): ${nginx.version}, 1 worker, keepalive to the upstream; its CPU is the master's and the worker's (/proc); a reference, not a goal`]
  const lines = [
    '',
    `Gatehouse bench (${s.mode}): ${s.connections} connections, pipelining 1, median of ${s.rounds} x ${s.roundS} s per target`,
    `${r.machine.cpuModel}, ${r.machine.cores} cores, ${mb(r.machine.memoryBytes)}, node ${r.machine.node}`,
    '',
    ...table([
      ['target', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'vs direct', ...extra(['vs gateway']), 'server CPU µs/req', ...extra(['+ Postgres µs/req'])],
      ['direct (upstream)', num(h.direct.rps), h.direct.p50Ms.toFixed(2), h.direct.p99Ms.toFixed(2), '', '', ...extra(['']), h.direct.cpuUsPerRequest.toFixed(0), ...extra([''])],
      ...(nginx.skipReason !== undefined
        ? []
        : [['nginx (reference)', num(nginx.rps), nginx.p50Ms.toFixed(2), nginx.p99Ms.toFixed(2), (nginx.rps / h.bare.rps).toFixed(3), (nginx.rps / h.direct.rps).toFixed(3), ...extra(['']), nginx.cpuUsPerRequest.toFixed(0), ...extra([''])]]),
      ['bare Hono proxy', num(h.bare.rps), h.bare.p50Ms.toFixed(2), h.bare.p99Ms.toFixed(2), '', (h.bare.rps / h.direct.rps).toFixed(3), ...extra(['']), h.bare.cpuUsPerRequest.toFixed(0), ...extra([''])],
      ['gateway', num(h.gateway.rps), h.gateway.p50Ms.toFixed(2), h.gateway.p99Ms.toFixed(2), h.gatewayToBare.toFixed(3), h.gatewayToDirect.toFixed(3), ...extra(['']), h.gateway.cpuUsPerRequest.toFixed(0), ...extra([''])],
      ...(pg === undefined
        ? []
        : [
            [
              'gateway (Postgres)',
              num(pg.rps),
              pg.p50Ms.toFixed(2),
              pg.p99Ms.toFixed(2),
              (h.gatewayPostgresToBare ?? Number.NaN).toFixed(3),
              (pg.rps / h.direct.rps).toFixed(3),
              (h.gatewayPostgresToSqlite ?? Number.NaN).toFixed(3),
              pg.cpuUsPerRequest.toFixed(0),
              pg.postgresCpuUsPerRequest === null ? '?' : pg.postgresCpuUsPerRequest.toFixed(0),
            ],
          ]),
    ]),
    '',
    `CPU per request, gateway / bare proxy: ${h.cpuGatewayToBare.toFixed(3)} (the throughput ratio's inverse when both are CPU-bound; unaffected by other load)`,
    ...pgLines,
    ...nginxLines,
    ...goalLines(r.goals),
    ...renewalLines(r.renewals),
    '',
    `login (POST /auth/login over HTTP, ${num(r.login.logins)} logins, ${r.login.connections} at a time, argon2id-bound): ${r.login.loginsPerSecond.toFixed(1)} logins/s, p50 ${r.login.p50Ms.toFixed(1)} ms, p99 ${r.login.p99Ms.toFixed(1)} ms`,
    `session validation (GET /auth/session): ${num(r.sessionValidation.small.rps)} req/s with ${num(r.sessionValidation.small.sessionsInStore)} sessions, ${num(r.sessionValidation.large.rps)} req/s with ${num(r.sessionValidation.large.sessionsInStore)}: ratio ${r.sessionValidation.largeToSmall.toFixed(3)} (p99 ${r.sessionValidation.small.p99Ms.toFixed(2)} -> ${r.sessionValidation.large.p99Ms.toFixed(2)} ms)`,
    `memory: ${num(r.memory.sessions)} sessions used once: RSS ${mb(r.memory.rssBeforeBytes)} -> ${mb(r.memory.rssAfterBytes)} (${r.memory.rssDeltaBytes >= 0 ? '+' : ''}${mb(r.memory.rssDeltaBytes)}, ${num(r.memory.rssDeltaBytesPerSession)} B/session), heap used ${r.memory.heapUsedDeltaBytes >= 0 ? '+' : ''}${mb(r.memory.heapUsedDeltaBytes)}`,
    `stream ${mb(r.stream.download.bytes)} down: ${r.stream.download.mbPerSecond} MB/s, gateway RSS ${mb(r.stream.download.rssBeforeBytes)} -> peak ${mb(r.stream.download.peakRssBytes)}`,
    `stream ${mb(r.stream.upload.bytes)} up:   ${r.stream.upload.mbPerSecond} MB/s, gateway RSS ${mb(r.stream.upload.rssBeforeBytes)} -> peak ${mb(r.stream.upload.peakRssBytes)}`,
    ...forwardAuthLines(r),
    ...workersReportLines(r.workers),
    `hot path, revocation feed followed by ${r.tokenFormats.feedStreams} streams / none: ${r.tokenFormats.feedToNoFeed.rps.toFixed(3)} req/s (${num(r.tokenFormats.jwtWithFeed.rps)} vs ${num(r.tokenFormats.jwt.rps)}), CPU/req ${r.tokenFormats.feedToNoFeed.cpu.toFixed(3)}`,
    `hot path, PASETO v4.public / JWT (fresh gateways alike): ${r.tokenFormats.pasetoToJwt.rps.toFixed(3)} req/s (${num(r.tokenFormats.paseto.rps)} vs ${num(r.tokenFormats.jwtFresh.rps)}), CPU/req ${r.tokenFormats.pasetoToJwt.cpu.toFixed(3)} (${r.tokenFormats.paseto.cpuUsPerRequest.toFixed(0)} vs ${r.tokenFormats.jwtFresh.cpuUsPerRequest.toFixed(0)} µs)`,
    `mass revocation of ${num(r.massRevocation.sessions)} sessions: ${r.massRevocation.revokeSeconds.toFixed(2)} s to revoke; feed ${mb(r.massRevocation.json.bytes)} as JSON (${r.massRevocation.json.bytesPerEntry} B/entry, ${mb(r.massRevocation.json.gzipBytes)} gzipped) in ${r.massRevocation.json.pages} pages read in ${r.massRevocation.json.seconds.toFixed(2)} s; a new follower caught up in ${r.massRevocation.streamCatchUpSeconds.toFixed(2)} s`,
    `verify() in a service: JWT ${num(r.verifyCost.jwtPerSecond)}/s, following a feed of ${num(r.verifyCost.revokedInMemory)} entries ${num(r.verifyCost.jwtWithFeedPerSecond)}/s (${r.verifyCost.feedToNoFeed.toFixed(3)}), PASETO ${num(r.verifyCost.pasetoPerSecond)}/s (${r.verifyCost.pasetoToJwt.toFixed(3)})`,
    `total ${r.totalSeconds} s (${Object.entries(r.phaseSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}); load average ${r.loadAverage.before[0]} before, ${r.loadAverage.after[0]} after (other work on the machine skews every number)`,
  ]
  return lines.join('\n')
}
