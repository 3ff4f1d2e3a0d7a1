import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../gateway/src/config/env.js'
import { startChild, stopChildren, waitUntilListening, type RunningChild } from '../src/children.js'
import { createLogger } from '../../gateway/src/logging/logger.js'
import { startGateway, type RunningGateway } from '../../gateway/src/server.js'
import { COOKIE_SECRET, cookiePair, MASTER_KEY, PASSWORD, tempDir } from '../../gateway/test/helpers.js'
import { freePort } from '../../gateway/test/process.js'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

// The demo services as `GATEHOUSE_TOKEN_FORMAT=paseto pnpm demo` runs them (processes, their own
// main.ts): they verify PASETO, follow the revocation feed and report it at /healthz.
describe('the demo services with GATEHOUSE_TOKEN_FORMAT=paseto', () => {
  let gateway: RunningGateway
  const services: RunningChild[] = []
  let ordersUrl: string

  beforeAll(async () => {
    const [port, ordersPort, profilePort] = await Promise.all([freePort(), freePort(), freePort()])
    const origin = `http://127.0.0.1:${port}`
    const env = { HOST: '127.0.0.1', GATEHOUSE_URL: origin, GATEHOUSE_PUBLIC_ORIGIN: origin, GATEHOUSE_TOKEN_FORMAT: 'paseto' }
    services.push(
      startChild(REPO_ROOT, { name: 'orders', entry: 'apps/demo-orders/src/main.ts', port: ordersPort, env }, () => {}),
      startChild(REPO_ROOT, { name: 'profile', entry: 'apps/demo-profile/src/main.ts', port: profilePort, env }, () => {}),
    )
    await Promise.all(services.map((s) => waitUntilListening(s, '127.0.0.1')))
    ordersUrl = `http://127.0.0.1:${ordersPort}`
    const dir = tempDir()
    const config = loadConfig(
      {
        HOST: '127.0.0.1',
        PORT: String(port),
        GATEHOUSE_PUBLIC_ORIGIN: origin,
        GATEHOUSE_UPSTREAMS: `orders=${ordersUrl},profile=http://127.0.0.1:${profilePort}`,
        GATEHOUSE_DATA_DIR: dir,
        DATABASE_URL: `file:${dir}/gatehouse.db`,
        GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET,
        GATEHOUSE_MASTER_KEY: MASTER_KEY,
        GATEHOUSE_TOKEN_FORMAT: 'paseto',
      },
      dir,
    )
    gateway = await startGateway(config, { logger: createLogger('silent') })
    await gateway.gateway.core.users.create({ username: 'alice', password: PASSWORD, roles: ['user'] }, { actor: 'test' })
  }, 60_000)
  afterAll(async () => {
    await gateway?.close(0)
    await stopChildren(services)
  })

  it('serves orders through the gateway, then refuses the replayed token once the session is logged out', async () => {
    const login = await fetch(`${gateway.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    })
    const cookie = cookiePair(login)!
    expect((await fetch(`${gateway.url}/api/orders/orders`, { headers: { cookie } })).status).toBe(200)
    // The very token the service was handed: the gateway's token cache gives it back.
    const session = (await (await fetch(`${gateway.url}/auth/session`, { headers: { cookie } })).json()) as { user: { id: string; roles: string[] }; session: { id: string } }
    const token = await gateway.gateway.core.tokens.tokenFor({ sessionId: session.session.id, userId: session.user.id, roles: session.user.roles }, 'orders')
    expect(token.startsWith('v4.public.')).toBe(true)
    const replay = () => fetch(`${ordersUrl}/orders`, { headers: { authorization: `Bearer ${token}` } })
    expect((await replay()).status).toBe(200)

    // The service was started before the gateway: it follows the feed once the gateway answers.
    const health = async () => (await (await fetch(`${ordersUrl}/healthz`)).json()) as { ok: boolean; revocations: { synced: boolean } }
    await expect.poll(health, { timeout: 10_000 }).toMatchObject({ ok: true, revocations: { synced: true } })

    expect((await fetch(`${gateway.url}/auth/logout`, { method: 'POST', headers: { cookie, origin: new URL(gateway.url).origin } })).status).toBe(204)
    const started = performance.now()
    let res = await replay()
    while (res.status === 200 && performance.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 50))
      res = await replay()
    }
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('ERR_TOKEN_REVOKED')
  })
})
