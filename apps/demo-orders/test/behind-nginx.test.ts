import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock, ORIGIN, PASSWORD } from '../../gateway/test/helpers.js'
import { nginxMissing, nginxSiteConfig, startNginx, type RunningNginx } from '../../gateway/test/nginx.js'
import { freePort, REPO_ROOT } from '../../gateway/test/process.js'
import type { ProxyGateway } from '../../gateway/test/proxy-helpers.js'
import { startServiceBehindGateway, type ServiceBehindGateway } from '../../gateway/test/service-behind-gateway.js'
import { createOrdersApp } from '../src/app.js'

/**
 * Forward authentication with a real nginx: nginx proxies /api/orders/* straight to the demo
 * orders service and asks the gateway's /auth/forward (auth_request) first; /auth/* goes to the
 * gateway. The config is the README's.
 */
const missing = nginxMissing()
if (missing !== undefined && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error(`nginx is required under CI, but ${missing}`)
if (missing !== undefined) console.warn(`[behind-nginx] skipping: ${missing}`)

/** A browser on the public origin, talking to nginx: keeps the cookie, sends Origin on writes. */
class Browser {
  cookie: string | undefined
  constructor(private readonly base: string) {}
  async send(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    const headers: Record<string, string> = {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
      'sec-fetch-site': 'same-origin',
      ...(method === 'GET' ? {} : { origin: ORIGIN }),
      ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
    const set = res.headers.getSetCookie().find((h) => h.startsWith('gatehouse='))
    if (set !== undefined) this.cookie = /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(set) ? undefined : set.split(';')[0]
    return res
  }
}

describe("the README's nginx example", () => {
  it('has every directive of the configuration these tests run', () => {
    const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8')
    const block = /```nginx\n([\s\S]*?)```/.exec(readme)![1]!
    const normalize = (line: string) => line.replace(/#.*$/, '').trim().replace(/\s+/g, ' ')
    const documented = new Set(block.split('\n').map(normalize))
    const tested = nginxSiteConfig({ port: 1, gatewayUrl: 'http://127.0.0.1:8080', services: { orders: 'http://127.0.0.1:4001' }, auth: 'auth_request' })
      .split('\n')
      .map(normalize)
      // Addresses and the upstream's name are the test's own.
      .filter((line) => line.endsWith(';') && !/^(listen|server) |service_/.test(line) && !line.startsWith('upstream '))
    expect(tested.length).toBeGreaterThan(15)
    expect(tested.filter((line) => !documented.has(line))).toEqual([])
  })
})

describe.skipIf(missing !== undefined)('nginx auth_request in front of the demo orders service', () => {
  // The service checks tokens against the real time: the gateway's clock stays one rotation
  // period behind it until the rotation test moves it to now.
  const ROTATE_EVERY_S = 60
  const clock = new FakeClock(Date.now() - (ROTATE_EVERY_S + 1) * 1000)
  let stack: ServiceBehindGateway
  let gw: ProxyGateway
  let nginx: RunningNginx
  let served: () => number

  beforeAll(async () => {
    let count = 0
    stack = await startServiceBehindGateway({
      name: 'orders',
      otherName: 'profile',
      createApp: (verifier) => {
        const app = createOrdersApp({ verifier })
        return { fetch: (request, env) => (count++, app.fetch(request, env)) }
      },
      env: { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1', GATEHOUSE_ROTATE_EVERY: String(ROTATE_EVERY_S), GATEHOUSE_ROTATE_GRACE: '10' },
      clock,
    })
    served = () => count
    gw = stack.gw
    for (const [username, roles] of [['alice', ['user']], ['root', ['user', 'admin']]] as const) {
      await gw.gateway.core.users.create({ username, password: PASSWORD, roles: [...roles] }, { actor: 'test' })
    }
    const port = await freePort()
    nginx = await startNginx(port, nginxSiteConfig({ port, gatewayUrl: gw.url, services: { orders: stack.serviceUrl }, auth: 'auth_request' }))
  })
  afterAll(async () => {
    await nginx?.stop()
    await stack?.close()
  })

  it('logs in, calls the service through nginx with its token, and is refused after logout', async () => {
    const browser = new Browser(nginx.url)
    expect((await browser.send('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(200)
    expect(browser.cookie).toBeDefined()

    const before = served()
    const list = await browser.send('/api/orders/orders')
    expect(list.status).toBe(200)
    expect(((await list.json()) as { orders: unknown[] }).orders.length).toBeGreaterThan(0)
    const created = await browser.send('/api/orders/orders', { body: { item: 'lamp', quantity: 2 } })
    expect(created.status).toBe(201)
    expect(served()).toBe(before + 2)
    // The service saw the gateway's token and never the browser's cookie or credentials.
    expect(stack.received.at(-1)).toMatch(/^Bearer ey/)

    expect((await browser.send('/auth/logout', { method: 'POST' })).status).toBe(204)
    const cookieOfLoggedOut = browser.cookie
    expect(cookieOfLoggedOut).toBeUndefined()
    const again = new Browser(nginx.url)
    expect((await again.send('/auth/login', { body: { username: 'alice', password: PASSWORD } })).status).toBe(200)
    const kept = again.cookie!
    expect((await again.send('/auth/logout', { method: 'POST' })).status).toBe(204)
    again.cookie = kept // a copy of the cookie kept after logout
    const refused = await again.send('/api/orders/orders')
    expect(refused.status).toBe(401)
    expect(served()).toBe(before + 2)
  })

  it("refuses a route the user's role lacks, and the service is never called", async () => {
    const alice = new Browser(nginx.url)
    await alice.send('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    const before = served()
    for (const path of ['/api/orders/admin/orders', '/api/orders/Admin/orders', '/api/orders/%61dmin/orders']) {
      expect((await alice.send(path)).status, path).toBe(403)
    }
    expect(served()).toBe(before)
    const root = new Browser(nginx.url)
    await root.send('/auth/login', { body: { username: 'root', password: PASSWORD } })
    expect((await root.send('/api/orders/admin/orders')).status).toBe(200)
  })

  it('refuses a cross-site write, with no cookie no call, and never serves /auth/forward to a browser', async () => {
    const alice = new Browser(nginx.url)
    await alice.send('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    const before = served()
    const forged = await alice.send('/api/orders/orders', { body: { item: 'x' }, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })
    expect(forged.status).toBe(403)
    expect((await new Browser(nginx.url).send('/api/orders/orders')).status).toBe(401)
    expect(served()).toBe(before)
    const direct = await alice.send('/auth/forward', { headers: { 'x-original-uri': '/api/orders/orders' } })
    expect(direct.status).toBe(404)
    expect(direct.headers.get('authorization')).toBeNull()
  })

  it('passes the rotated cookie back to the browser through nginx', async () => {
    const alice = new Browser(nginx.url)
    await alice.send('/auth/login', { body: { username: 'alice', password: PASSWORD } })
    const first = alice.cookie
    clock.advance((ROTATE_EVERY_S + 1) * 1000)
    const res = await alice.send('/api/orders/orders')
    expect(res.status).toBe(200)
    expect(alice.cookie).toBeDefined()
    expect(alice.cookie).not.toBe(first)
    // The new credential works, through nginx and at the gateway.
    expect((await alice.send('/api/orders/orders')).status).toBe(200)
    expect((await alice.send('/auth/session')).status).toBe(200)
  })
})
