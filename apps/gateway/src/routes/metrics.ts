import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import type { Metrics } from '../metrics/metrics.js'

/** Prometheus text. Labels are bounded (route class, status, reason): no user or session ids. */
export function metricsRoutes(metrics: Metrics, refresh: () => Promise<void>) {
  const app = new Hono<AppEnv>()
  app.get('/metrics', async (c) => {
    await refresh()
    c.header('content-type', metrics.registry.contentType)
    c.header('cache-control', 'no-store')
    return c.body(await metrics.registry.metrics())
  })
  return app
}
