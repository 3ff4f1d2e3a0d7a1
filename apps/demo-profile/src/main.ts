import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createVerifier } from '@gatehouse/verify'
import { createProfileApp } from './app.js'

// The gateway's own address (for its JWKS) and its public origin (the tokens' issuer) may differ.
const gateway = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080'
const issuer = process.env.GATEHOUSE_PUBLIC_ORIGIN ?? 'http://localhost:8080'
const hostname = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 4002)

// Tokens of revoked sessions are refused within a second through the gateway's revocation feed.
const verifier = createVerifier({
  issuer,
  audience: 'profile',
  jwksUrl: new URL('/.well-known/jwks.json', gateway),
  format: process.env.GATEHOUSE_TOKEN_FORMAT === 'paseto' ? 'paseto' : 'jwt',
  revocations: { url: new URL('/.well-known/gatehouse/revocations', gateway) },
})
const app = new Hono()
// Mounted below, the service app's own notFound is not reached: answer the same problem here.
app.notFound((c) => c.body(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, code: 'ERR_NOT_FOUND' }), 404, { 'content-type': 'application/problem+json' }))
// The service's own health: unhealthy while its copy of the revocation feed is stale.
app.get('/healthz', (c) => {
  const feed = verifier.revocations!.status()
  return c.json({ ok: !feed.stale, revocations: feed }, feed.stale ? 503 : 200)
})
app.route('/', createProfileApp({ verifier }))
serve({ fetch: app.fetch, hostname, port }, (info) => {
  process.stdout.write(`demo-profile listening on http://${hostname}:${info.port} (issuer ${issuer})\n`)
})
