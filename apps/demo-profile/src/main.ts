import { serve } from '@hono/node-server'
import { createVerifier } from '@gatehouse/verify'
import { createProfileApp } from './app.js'

// The gateway's own address (for its JWKS) and its public origin (the tokens' issuer) may differ.
const gateway = process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080'
const issuer = process.env.GATEHOUSE_PUBLIC_ORIGIN ?? 'http://localhost:8080'
const hostname = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 4002)

const verifier = createVerifier({ issuer, audience: 'profile', jwksUrl: new URL('/.well-known/jwks.json', gateway) })
serve({ fetch: createProfileApp({ verifier }).fetch, hostname, port }, (info) => {
  process.stdout.write(`demo-profile listening on http://${hostname}:${info.port} (issuer ${issuer})\n`)
})
