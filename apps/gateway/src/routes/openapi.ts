import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { buildOpenApiDocument } from '../openapi/document.js'

/** `GET /openapi.json`: built once, on the first request. */
export function openApiRoutes(publicOrigin: string) {
  let body: string | undefined
  const app = new Hono<AppEnv>()
  app.get('/openapi.json', (c) => {
    body ??= JSON.stringify(buildOpenApiDocument({ publicOrigin }))
    c.header('content-type', 'application/json')
    c.header('cache-control', 'no-cache')
    return c.body(body)
  })
  return app
}
