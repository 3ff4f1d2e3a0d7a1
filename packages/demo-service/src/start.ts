import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createVerifier, type GatehouseVerifier } from '@gatehouse/verify'

export interface DemoServiceOptions {
  /** Its name in the log line (`demo-orders`). */
  name: string
  /** The audience its tokens are minted for: the gateway's upstream name. */
  audience: string
  /** PORT, when the environment gives none. */
  defaultPort: number
  /** The service's own routes, behind its verifier (whatever context variables its app declares). */
  createApp(deps: { verifier: GatehouseVerifier }): Hono<any, any, any>
}

/**
 * Starts one of the demo's services as a real deployment would run it behind Gatehouse: it
 * trusts only the gateway's tokens for its audience (JWT or PASETO, as GATEHOUSE_TOKEN_FORMAT
 * says), learns of revocations through the gateway's feed, and answers `/healthz` (unhealthy
 * while its copy of that feed is stale) and unknown paths with a problem.
 */
export function startDemoService(o: DemoServiceOptions): void {
  const env = process.env
  // The gateway's own address (for its JWKS) and its public origin (the tokens' issuer) may differ.
  const gateway = env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080'
  const issuer = env.GATEHOUSE_PUBLIC_ORIGIN ?? 'http://localhost:8080'
  const hostname = env.HOST ?? '127.0.0.1'
  const port = Number(env.PORT ?? o.defaultPort)

  // Tokens of revoked sessions are refused within a second through the gateway's revocation feed.
  const verifier = createVerifier({
    issuer,
    audience: o.audience,
    jwksUrl: new URL('/.well-known/jwks.json', gateway),
    format: env.GATEHOUSE_TOKEN_FORMAT === 'paseto' ? 'paseto' : 'jwt',
    revocations: { url: new URL('/.well-known/gatehouse/revocations', gateway) },
  })
  const app = new Hono()
  // Mounted below, the service app's own notFound is not reached: answer the same problem here.
  app.notFound((c) => c.body(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, code: 'ERR_NOT_FOUND' }), 404, { 'content-type': 'application/problem+json' }))
  app.get('/healthz', (c) => {
    const feed = verifier.revocations!.status()
    return c.json({ ok: !feed.stale, revocations: feed }, feed.stale ? 503 : 200)
  })
  app.route('/', o.createApp({ verifier }))
  serve({ fetch: app.fetch, hostname, port }, (info) => {
    process.stdout.write(`${o.name} listening on http://${hostname}:${info.port} (issuer ${issuer})\n`)
  })
}
