import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'
import { routeClass, type Metrics } from '../metrics/metrics.js'

/** Counts every answer by route class and status, and times the gateway's own share of it. */
export function requestMetrics(metrics: Metrics) {
  const record = requestRecorder(metrics)
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    await next()
    record(c.req.path, c.res.status, started, c.get('upstreamMs') ?? 0)
  })
}

/**
 * Records one answer: counted by route class and status, and the gateway's own share of its time
 * (`started` is the request's `performance.now()`; the upstream's wait has its own histogram).
 */
export function requestRecorder(metrics: Metrics): (path: string, status: number, started: number, upstreamMs: number) => void {
  // Labelled children looked up once per (class, status), not hashed from an object per request.
  const counters = new Map<string, { inc(): void }>()
  const histograms = new Map<string, { observe(value: number): void }>()
  const counter = (cls: string, status: number) => {
    const key = `${cls} ${status}`
    let child = counters.get(key)
    if (child === undefined) counters.set(key, (child = metrics.requests.labels(cls, String(status))))
    return child
  }
  const histogram = (cls: string) => {
    let child = histograms.get(cls)
    if (child === undefined) histograms.set(cls, (child = metrics.gatewayDuration.labels(cls)))
    return child
  }
  return (path, status, started, upstreamMs) => {
    const cls = routeClass(path)
    counter(cls, status).inc()
    histogram(cls).observe(Math.max(0, performance.now() - started - upstreamMs) / 1000)
  }
}
