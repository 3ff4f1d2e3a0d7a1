import { DEMO_USER, demoClient, startDemoIdp } from './index.js'

// `pnpm --filter @gatehouse/demo-idp start`: the demo IdP alone, for a gateway at GATEHOUSE_PUBLIC_ORIGIN.
const origin = process.env.GATEHOUSE_PUBLIC_ORIGIN ?? 'http://localhost:8080'
// The gateway's own address, for the back-channel logout calls this IdP makes to it.
const gatewayUrl = process.env.GATEHOUSE_URL ?? origin
const secret = process.env.DEMO_IDP_CLIENT_SECRET ?? 'demo-idp-client-secret-0123456789'
const idp = await startDemoIdp({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 4003),
  clients: [demoClient(origin, secret, 'demo', gatewayUrl)],
  users: [DEMO_USER],
})
process.stdout.write(`demo-idp listening, issuer ${idp.issuer}\n`)
const stop = () => void idp.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
