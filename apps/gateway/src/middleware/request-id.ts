import { randomUUID } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Keeps a well-formed incoming X-Request-Id (a load balancer's), otherwise makes one. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header('x-request-id')
  const id = incoming !== undefined && SAFE_ID.test(incoming) ? incoming : randomUUID()
  c.set('requestId', id)
  await next()
  c.res.headers.set('x-request-id', id)
})
