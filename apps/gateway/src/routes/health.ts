import { Hono } from 'hono'
import type { Store } from '@gatehouse/store'
import type { AppEnv } from '../http/app-env.js'
import { problemResponse } from '../http/problem.js'

export interface ReadinessCheck {
  name: string
  check(): Promise<void>
}

export function healthRoutes(store: Store, extraChecks: ReadinessCheck[] = []) {
  const app = new Hono<AppEnv>()
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const checks: ReadinessCheck[] = [{ name: 'store', check: () => store.ping() }, ...extraChecks]
    const failed: string[] = []
    for (const { name, check } of checks) {
      try {
        await check()
      } catch {
        failed.push(name)
      }
    }
    if (failed.length > 0) return problemResponse('ERR_NOT_READY', { detail: `not ready: ${failed.join(', ')}`, extensions: { failed } })
    return c.json({ status: 'ready', checks: checks.map((x) => x.name) })
  })
  return app
}
