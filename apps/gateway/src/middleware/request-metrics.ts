import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'
import { routeClass, type Metrics } from '../metrics/metrics.js'

/** Counts every answer by route class and status, and times the gateway's own share of it. */
export function requestMetrics(metrics: Metrics) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    await next()
    const cls = routeClass(c.req.path)
    metrics.requests.inc({ route_class: cls, status: String(c.res.status) })
    // For proxied calls the upstream's wait is its own histogram; what is left is ours.
    const upstreamMs = c.get('upstreamMs') ?? 0
    metrics.gatewayDuration.observe({ route_class: cls }, Math.max(0, performance.now() - started - upstreamMs) / 1000)
  })
}
