import { spawnSync } from 'node:child_process'
import { NGINX_BIN, nginxMissing, nginxSiteConfig, startNginx, type RunningNginx } from '../../../gateway/test/nginx.js'
import { freePort } from '../../../gateway/test/process.js'
import type { ServerChild } from '../child-process.js'
import { runLoad, type LoadRequest } from '../load.js'
import type { ForwardAuthResults, ForwardAuthTarget, HotPathRound, TargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { assertClean } from './check.js'

const TARGETS = ['nginxAlone', 'nginxAuthRequest', 'gatewayProxy', 'forwardDecision', 'sessionCheck'] satisfies ForwardAuthTarget[]
const LABELS: Record<ForwardAuthTarget, string> = {
  nginxAlone: 'nginx alone',
  nginxAuthRequest: 'nginx + auth_request',
  gatewayProxy: 'gateway proxying',
  forwardDecision: '/auth/forward',
  sessionCheck: '/auth/session',
}
const PATH = '/api/bench/items/42'

function stats(rounds: HotPathRound[]): TargetStats {
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: round(median(rounds.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(rounds.map((r) => r.p99Ms)), 3),
    cpuUsPerRequest: round(median(rounds.map((r) => r.cpuUsPerRequest)), 1),
    rounds,
  }
}

/** e.g. "nginx/1.22.1" (`nginx -v` prints to stderr). */
function nginxVersion(): string {
  const { stdout, stderr } = spawnSync(NGINX_BIN, ['-v'], { encoding: 'utf8' })
  return /nginx\/[\w.]+/.exec(`${stdout}${stderr}`)?.[0] ?? 'nginx'
}

async function gatewayCpuUs(gateway: ServerChild): Promise<number> {
  const { userUs, systemUs } = await gateway.call('cpu', {})
  return userUs + systemUs
}

/**
 * Forward authentication, next to what it replaces: nginx alone in front of the upstream, nginx
 * with the gateway as its `auth_request`, the gateway proxying itself; and the decision alone
 * (`GET /auth/forward` straight at the gateway) against the session check alone
 * (`GET /auth/session`). Same cookies and upstream for all, rounds alternating the order. The
 * CPU column is the gateway's own process per answered request (nginx's is not counted).
 */
export async function measureForwardAuth(
  gateway: ServerChild,
  upstreamUrl: string,
  cookies: readonly string[],
  s: Settings,
  log: (line: string) => void,
): Promise<ForwardAuthResults> {
  const missing = nginxMissing()
  if (missing !== undefined) return { skipReason: missing }
  const nginx: RunningNginx[] = []
  try {
    const site = async (auth: 'auth_request' | 'none') => {
      const port = await freePort()
      const started = await startNginx(port, nginxSiteConfig({ port, gatewayUrl: gateway.url, services: { bench: upstreamUrl }, auth }))
      nginx.push(started)
      return started.url
    }
    const urls: Record<ForwardAuthTarget, string> = {
      nginxAlone: await site('none'),
      nginxAuthRequest: await site('auth_request'),
      gatewayProxy: gateway.url,
      forwardDecision: gateway.url,
      sessionCheck: gateway.url,
    }
    const requests: Record<ForwardAuthTarget, LoadRequest[]> = {
      nginxAlone: cookies.map((cookie) => ({ path: PATH, headers: { cookie } })),
      nginxAuthRequest: cookies.map((cookie) => ({ path: PATH, headers: { cookie } })),
      gatewayProxy: cookies.map((cookie) => ({ path: PATH, headers: { cookie } })),
      forwardDecision: cookies.map((cookie) => ({ path: '/auth/forward', headers: { cookie, 'x-original-method': 'GET', 'x-original-uri': PATH } })),
      sessionCheck: cookies.map((cookie) => ({ path: '/auth/session', headers: { cookie } })),
    }
    const run = async (t: ForwardAuthTarget, durationS: number): Promise<HotPathRound> => {
      const before = await gatewayCpuUs(gateway)
      const result = await runLoad({ url: urls[t], connections: s.connections, durationS, requests: requests[t] })
      const cpu = (await gatewayCpuUs(gateway)) - before
      return { ...result, cpuUsPerRequest: round(cpu / Math.max(1, result.ok), 1) }
    }
    for (const t of TARGETS) assertClean(`warm-up ${LABELS[t]}`, await run(t, s.warmupS))
    const rounds: Record<ForwardAuthTarget, HotPathRound[]> = { nginxAlone: [], nginxAuthRequest: [], gatewayProxy: [], forwardDecision: [], sessionCheck: [] }
    for (let r = 0; r < s.rounds; r++) {
      for (let k = 0; k < TARGETS.length; k++) {
        const t = TARGETS[(r + k) % TARGETS.length]!
        const result = assertClean(`forward auth round ${r + 1} ${LABELS[t]}`, await run(t, s.roundS))
        rounds[t].push(result)
        log(`  round ${r + 1}/${s.rounds} ${LABELS[t].padEnd(20)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  gateway ${result.cpuUsPerRequest} µs CPU/req`)
      }
    }
    const targets = Object.fromEntries(TARGETS.map((t) => [t, stats(rounds[t])])) as Record<ForwardAuthTarget, TargetStats>
    return {
      nginx: nginxVersion(),
      ...targets,
      authRequestToNginxAlone: round(targets.nginxAuthRequest.rps / targets.nginxAlone.rps, 3),
      authRequestToGatewayProxy: round(targets.nginxAuthRequest.rps / targets.gatewayProxy.rps, 3),
      forwardToSession: round(targets.forwardDecision.rps / targets.sessionCheck.rps, 3),
      cpuForwardToSession: round(targets.forwardDecision.cpuUsPerRequest / targets.sessionCheck.cpuUsPerRequest, 3),
    }
  } finally {
    await Promise.all(nginx.map((n) => n.stop()))
  }
}
