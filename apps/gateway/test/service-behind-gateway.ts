import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createVerifier, type GatehouseVerifier } from '@gatehouse/verify'
import type { Clock } from '../src/clock.js'
import { ORIGIN } from './helpers.js'
import { startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

export interface ServiceBehindGateway {
  gw: ProxyGateway
  /** The service itself, for requests that bypass the gateway. */
  serviceUrl: string
  /** Every Authorization header the service received, in order. */
  received: (string | undefined)[]
  /** A second upstream, only to obtain a genuine token minted for another audience. */
  other: TestUpstream
  close(): Promise<void>
}

/**
 * A demo service on 127.0.0.1 behind a real gateway whose route rules keep `/admin` for admins.
 * The service needs the gateway's URL (JWKS) and the gateway the service's: it listens first.
 */
export async function startServiceBehindGateway(options: {
  name: string
  otherName: string
  createApp: (verifier: GatehouseVerifier) => { fetch: (request: Request, env: unknown) => Response | Promise<Response> }
  env?: Record<string, string>
  clock?: Clock
}): Promise<ServiceBehindGateway> {
  const received: (string | undefined)[] = []
  let app: ReturnType<typeof options.createApp> | undefined
  const service = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, env) => {
      received.push(request.headers.get('authorization') ?? undefined)
      return app!.fetch(request, env)
    },
  }) as Server
  await new Promise((resolve) => service.once('listening', resolve))
  const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`
  const other = await startUpstream((req, res) => {
    req.resume()
    res.end('{}')
  })
  const gw = await startProxyGateway({
    upstreams: { [options.name]: serviceUrl, [options.otherName]: other.url },
    routes: [{ upstream: options.name, pathPrefix: '/admin', roles: ['admin'] }],
    ...(options.env ? { env: options.env } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  })
  app = options.createApp(createVerifier({ issuer: ORIGIN, audience: options.name, jwksUrl: `${gw.url}/.well-known/jwks.json` }))
  return {
    gw,
    serviceUrl,
    received,
    other,
    async close() {
      await gw.close(0)
      await other.close()
      service.closeAllConnections()
      await new Promise((resolve) => service.close(resolve))
    },
  }
}
