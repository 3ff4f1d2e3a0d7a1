import { createMiddleware } from 'hono/factory'
import type { Logger } from 'pino'
import type { AppEnv } from '../http/app-env.js'

/** One line per request: method, path (never the query: it may hold a code or token), status, time. */
export function accessLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    await next()
    logRequest(logger, c.get('requestId'), c.req.method, c.req.path, c.res.status, started, c.get('auth')?.session.id)
  })
}

/** The access log's line; `started` is the request's `performance.now()`. */
export function logRequest(logger: Logger, requestId: string, method: string, path: string, status: number, started: number, sessionId: string | undefined): void {
  logger.info({ requestId, method, path, status, ms: Math.round((performance.now() - started) * 10) / 10, sessionId }, 'request')
}
