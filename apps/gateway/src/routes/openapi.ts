import { Scalar } from '@scalar/hono-api-reference'
import { Hono } from 'hono'
import type { AppEnv } from '../http/app-env.js'
import { buildOpenApiDocument } from '../openapi/document.js'

/**
 * `GET /openapi.json`, built once on the first request; with `reference`, `GET /reference` is
 * Scalar's API reference page of it (for development: the page loads Scalar from its CDN).
 */
export function openApiRoutes(publicOrigin: string, options: { reference: boolean }) {
  let body: string | undefined
  const app = new Hono<AppEnv>()
  app.get('/openapi.json', (c) => {
    body ??= JSON.stringify(buildOpenApiDocument({ publicOrigin }))
    c.header('content-type', 'application/json')
    c.header('cache-control', 'no-cache')
    return c.body(body)
  })
  if (options.reference) app.get('/reference', Scalar({ url: '/openapi.json', pageTitle: 'Gatehouse API' }))
  return app
}
