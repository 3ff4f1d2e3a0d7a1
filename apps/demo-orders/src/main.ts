import { serve } from '@hono/node-server'
import { createVerifier } from '@gatehouse/verify'
import { createOrdersApp } from './app.js'

// The gateway's own address (for its JWKS) and its public origin (the tokens' issuer) may differ.
const gateway = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080'
const issuer = process.env.GATEHOUSE_PUBLIC_ORIGIN ?? 'http://localhost:8080'
const hostname = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 4001)

const verifier = createVerifier({ issuer, audience: 'orders', jwksUrl: new URL('/.well-known/jwks.json', gateway) })
serve({ fetch: createOrdersApp({ verifier }).fetch, hostname, port }, (info) => {
  process.stdout.write(`demo-orders listening on http://${hostname}:${info.port} (issuer ${issuer})\n`)
})
