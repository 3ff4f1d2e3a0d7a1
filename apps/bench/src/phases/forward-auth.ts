import { nginxMissing, nginxSiteConfig, startNginx, type RunningNginx } from '../../../gateway/test/nginx.js'
import { freePort } from '../../../gateway/test/process.js'
import type { ServerChild } from '../child-process.js'
import type { LoadRequest } from '../load.js'
import { nginxVersion } from '../nginx-proxy.js'
import type { ForwardAuthResults, ForwardAuthTarget, TargetStats } from '../results.js'
import type { Settings } from '../settings.js'
import { round } from '../stats.js'
import { childCpuUs, rotatingRounds, runWithCpu, targetStats } from './rounds.js'

const TARGETS = ['nginxAlone', 'nginxAuthRequest', 'gatewayProxy', 'forwardDecision', 'sessionCheck'] satisfies ForwardAuthTarget[]
const LABELS: Record<ForwardAuthTarget, string> = {
  nginxAlone: 'nginx alone',
  nginxAuthRequest: 'nginx + auth_request',
  gatewayProxy: 'gateway proxying',
  forwardDecision: '/auth/forward',
  sessionCheck: '/auth/session',
}
const PATH = '/api/bench/items/42'

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
    const rounds = await rotatingRounds(
      TARGETS,
      (t, durationS) => runWithCpu({ url: urls[t], connections: s.connections, durationS, requests: requests[t] }, () => childCpuUs(gateway)),
      s,
      (t) => LABELS[t],
      (line, result) => log(`${line}  gateway ${result.cpuUsPerRequest} µs CPU/req`),
    )
    const targets = Object.fromEntries(TARGETS.map((t) => [t, targetStats(rounds[t])])) as Record<ForwardAuthTarget, TargetStats>
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
