import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import { createVerifier, type GatehouseVerifier } from '@gatehouse/verify'
import { createOrdersApp } from '../../demo-orders/src/app.js'
import { runCli } from '../src/cli/run.js'
import type { GatewayConfig } from '../src/config/config.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { cliIo, cookiePair, FakeClock, PASSWORD, testConfig } from './helpers.js'

// The whole promise of the feed, end to end: a session is revoked on a gateway, and the token
// already handed to the orders service for it, replayed straight at the service, is refused
// within a second though its exp is minutes away.

const REVOKED_WITHIN_MS = 1000

interface Service {
  url: string
  verifier: GatehouseVerifier
  /** Authorization headers the service received, in order. */
  received: string[]
  /** Builds the service's verifier against this gateway (JWKS and revocation feed). */
  follow(gatewayUrl: string): Promise<void>
  close(): Promise<void>
}

/** The demo orders service on 127.0.0.1; it listens first, since the gateway needs its URL. */
async function startOrders(clock: FakeClock, origin: string): Promise<Service> {
  const received: string[] = []
  let verifier: GatehouseVerifier | undefined
  let app: ReturnType<typeof createOrdersApp> | undefined
  const server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, env) => {
      const auth = request.headers.get('authorization')
      if (auth !== null) received.push(auth)
      return app!.fetch(request, env)
    },
  }) as Server
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get verifier() {
      return verifier!
    },
    received,
    async follow(gatewayUrl) {
      verifier = createVerifier({
        issuer: origin,
        audience: 'orders',
        jwksUrl: `${gatewayUrl}/.well-known/jwks.json`,
        // The gateways run on a test clock; so does the service's verifier.
        now: () => new Date(clock.now()),
        revocations: { url: `${gatewayUrl}/.well-known/gatehouse/revocations`, maxStalenessS: 3600, pollIntervalS: 0.2 },
      })
      app = createOrdersApp({ verifier })
      await verifier.revocations!.ready()
    },
    async close() {
      verifier?.revocations?.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

function client(origin: string) {
  return async (gw: RunningGateway, path: string, init: { method?: string; cookie?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' }
    if (init.cookie) headers.cookie = init.cookie
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    if (method !== 'GET') headers.origin = origin
    return fetch(`${gw.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  }
}

/** Replays the token at the service until it is refused; resolves with how long that took. */
async function refusedAfter(service: Service, token: string, since: number): Promise<{ ms: number; code: string }> {
  for (;;) {
    const res = await fetch(`${service.url}/orders`, { headers: { authorization: `Bearer ${token}` } })
    if (res.status !== 200) return { ms: performance.now() - since, code: ((await res.json()) as { code: string }).code }
    await res.body?.cancel()
    if (performance.now() - since > 10_000) return { ms: Number.POSITIVE_INFINITY, code: 'never' }
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * The five ways a user's session ends in the issue, each replayed. `act` runs on `actOn`, the
 * token is minted by `mintOn`, the service follows another gateway's feed where there are two.
 */
function describeReplays(label: string, setup: () => Promise<{ mintOn: RunningGateway; actOn: RunningGateway; service: Service; clock: FakeClock; config: GatewayConfig }>) {
  describe(label, () => {
    let ctx: Awaited<ReturnType<typeof setup>>
    let call: ReturnType<typeof client>
    beforeAll(async () => {
      ctx = await setup()
      call = client(ctx.config.publicOrigin)
    })

    const createUser = (username: string, roles = ['user']) =>
      ctx.mintOn.gateway.core.users.create({ username, password: PASSWORD, roles }, { actor: 'test' })
    const login = async (gw: RunningGateway, username: string) => {
      const res = await call(gw, '/auth/login', { body: { username, password: PASSWORD } })
      expect(res.status).toBe(200)
      return cookiePair(res)!
    }
    /** Calls the orders service through the gateway and returns the token it was handed. */
    const mintedToken = async (cookie: string) => {
      const res = await call(ctx.mintOn, '/api/orders/orders', { cookie })
      expect(res.status).toBe(200)
      return ctx.service.received.at(-1)!.slice('Bearer '.length)
    }
    const sessionId = async (cookie: string) => ((await (await call(ctx.mintOn, '/auth/session', { cookie })).json()) as { session: { id: string } }).session.id

    async function expectRefusedSoon(token: string, revoke: () => Promise<void>) {
      const direct = await fetch(`${ctx.service.url}/orders`, { headers: { authorization: `Bearer ${token}` } })
      expect(direct.status).toBe(200)
      const started = performance.now()
      await revoke()
      const { ms, code } = await refusedAfter(ctx.service, token, started)
      expect(code).toBe('ERR_TOKEN_REVOKED')
      expect(ms).toBeLessThan(REVOKED_WITHIN_MS)
    }

    it('logout', async () => {
      await createUser('logout-user')
      const cookie = await login(ctx.mintOn, 'logout-user')
      const token = await mintedToken(cookie)
      await expectRefusedSoon(token, async () => {
        expect((await call(ctx.actOn, '/auth/logout', { method: 'POST', cookie })).status).toBe(204)
      })
    })

    it('device revoke', async () => {
      await createUser('device-user')
      const stolenLaptop = await login(ctx.mintOn, 'device-user')
      const phone = await login(ctx.mintOn, 'device-user')
      const token = await mintedToken(stolenLaptop)
      const laptopId = await sessionId(stolenLaptop)
      await expectRefusedSoon(token, async () => {
        expect((await call(ctx.actOn, `/auth/sessions/${laptopId}`, { method: 'DELETE', cookie: phone })).status).toBe(204)
      })
    })

    it('password change', async () => {
      await createUser('password-user')
      const other = await login(ctx.mintOn, 'password-user')
      const here = await login(ctx.mintOn, 'password-user')
      const token = await mintedToken(other)
      await expectRefusedSoon(token, async () => {
        const res = await call(ctx.actOn, '/auth/password', { cookie: here, body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 7' } })
        expect(res.status).toBe(204)
      })
    })

    it('suspension', async () => {
      const user = await createUser('suspended-user')
      await createUser(`admin-${label.length}`, ['user', 'admin'])
      const admin = await login(ctx.actOn, `admin-${label.length}`)
      const token = await mintedToken(await login(ctx.mintOn, 'suspended-user'))
      await expectRefusedSoon(token, async () => {
        expect((await call(ctx.actOn, `/admin/users/${user.id}/suspend`, { method: 'POST', cookie: admin })).status).toBeLessThan(300)
      })
    })

    it('theft detection (a rotated-out cookie replayed after the grace window)', async () => {
      await createUser('theft-user')
      const stolen = await login(ctx.mintOn, 'theft-user')
      ctx.clock.advance(ctx.config.rotateEveryS * 1000)
      const fresh = cookiePair(await call(ctx.mintOn, '/auth/session', { cookie: stolen }))!
      expect(fresh).toBeDefined()
      const token = await mintedToken(fresh)
      ctx.clock.advance((ctx.config.rotateGraceS + 1) * 1000)
      await expectRefusedSoon(token, async () => {
        expect((await call(ctx.actOn, '/auth/session', { cookie: stolen })).status).toBe(401)
      })
    })
  })
}

const logger = createLogger('silent')
const origin = 'http://localhost:8080'

{
  let gw: RunningGateway
  let service: Service
  let config: GatewayConfig
  const clock = new FakeClock(Date.now())
  describeReplays('on SQLite, one gateway', async () => {
    service = await startOrders(clock, origin)
    config = { ...testConfig({ GATEHOUSE_UPSTREAMS: `orders=${service.url}` }), host: '127.0.0.1', port: 0 }
    gw = await startGateway(config, { clock, logger })
    await service.follow(gw.url)
    return { mintOn: gw, actOn: gw, service, clock, config }
  })

  describe('on SQLite, across a gateway restart', () => {
    it('the service reconnects and catches up with what was revoked while the gateway was down', async () => {
      const call = client(origin)
      await gw.gateway.core.users.create({ username: 'restart-user', password: PASSWORD, roles: ['user'] }, { actor: 'test' })
      const login = await call(gw, '/auth/login', { body: { username: 'restart-user', password: PASSWORD } })
      const cookie = cookiePair(login)!
      expect((await call(gw, '/api/orders/orders', { cookie })).status).toBe(200)
      const token = service.received.at(-1)!.slice('Bearer '.length)
      const port = gw.port
      await gw.close(0)
      // Revoked while no gateway runs: by the CLI, straight into the store.
      expect(await runCli(['sessions', 'revoke', 'restart-user'], cliIo(config.dataDir).io)).toBe(0)
      gw = await startGateway({ ...config, port }, { clock, logger })
      const { code } = await refusedAfter(service, token, performance.now())
      expect(code).toBe('ERR_TOKEN_REVOKED')
      expect(service.verifier.revocations!.status()).toMatchObject({ synced: true })
    })
  })

  afterAll(async () => {
    await service?.close()
    await gw?.close(0)
  })
}

const pg = await postgresForTests('revocation replay')
describe.skipIf(pg.cluster === undefined)(`on Postgres, two gateways${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  let a: RunningGateway
  let b: RunningGateway
  let service: Service
  const clock = new FakeClock(Date.now())
  describeReplays('revoked on gateway B, minted by A, the service following B', async () => {
    const url = await pg.cluster!.createDatabase('replay')
    // A proxies to the service; B is where revocations are made and whose feed the service follows.
    service = await startOrders(clock, origin)
    const config = { ...testConfig({ GATEHOUSE_UPSTREAMS: `orders=${service.url}` }), database: { kind: 'postgres' as const, url }, host: '127.0.0.1', port: 0 }
    ;[a, b] = await Promise.all([startGateway(config, { clock, logger }), startGateway(config, { clock, logger })])
    await service.follow(b.url)
    return { mintOn: a, actOn: b, service, clock, config }
  })
  afterAll(async () => {
    await service?.close()
    await Promise.all([a?.close(0), b?.close(0)])
    await pg.cluster?.stop()
  })
})
