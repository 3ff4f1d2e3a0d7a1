import { connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, spawnTs, type Spawned } from '../../gateway/test/process.js'
import { tempDir } from './stack.js'

const running: Spawned[] = []

// After a failed assertion: SIGTERM first, so the demo still stops its own children.
afterEach(async () => {
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) continue
    proc.child.kill('SIGTERM')
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000)
    await proc.exited
    clearTimeout(timer)
  }
})

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function startDemo(dir: string) {
  const [port, ordersPort, profilePort, idpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const proc = spawnTs('apps/gateway/src/demo.ts', [], {
    PORT: String(port),
    DEMO_ORDERS_PORT: String(ordersPort),
    DEMO_PROFILE_PORT: String(profilePort),
    DEMO_IDP_PORT: String(idpPort),
    GATEHOUSE_DATA_DIR: dir,
    DATABASE_URL: `file:${join(dir, 'demo.db')}`,
    LOG_LEVEL: 'warn',
  })
  running.push(proc)
  // The first run may build the web app first.
  await proc.waitFor(/Ctrl-C stops everything/, 90_000)
  return { proc, port, ports: [port, ordersPort, profilePort, idpPort], idpPort, origin: `http://localhost:${port}`, url: `http://127.0.0.1:${port}` }
}

async function login(url: string, origin: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username, password }),
  })
}

async function stopDemo(demo: Awaited<ReturnType<typeof startDemo>>): Promise<void> {
  demo.proc.child.kill('SIGTERM')
  expect(await demo.proc.exited).toBe(0)
  // Every child went with it: nothing answers on the gateway's or the services' ports.
  for (const port of demo.ports) expect(await listening(port), `port ${port}`).toBe(false)
}

describe('pnpm demo (apps/gateway/src/demo.ts as a process)', () => {
  it('prints the URL and the passwords, answers a login, serves the app, and stops all its children on SIGTERM', async () => {
    const dir = tempDir('gatehouse-demo-')
    const demo = await startDemo(dir)
    const out = demo.proc.stdout()
    // The public origin follows PORT, so the printed URL is the one the cookie and CSRF check accept.
    expect(out).toContain(`open ${demo.origin}`)
    const passwords = new Map([...out.matchAll(/^ {4}(admin|alice) +(\S+) +\(([^)]*)\) - shown once/gm)].map((m) => [m[1]!, m[2]!]))
    expect([...passwords.keys()].sort()).toEqual(['admin', 'alice'])
    for (const port of demo.ports) expect(await listening(port)).toBe(true)
    // The demo identity provider, and the gateway offering it.
    expect(out).toContain(`"Sign in with Demo IdP" (http://127.0.0.1:${demo.idpPort}): ada / `)
    const options = await (await fetch(`${demo.url}/auth/oidc/providers`)).json()
    expect(options).toEqual({ localLogin: true, providers: [{ name: 'demo', displayName: 'Demo IdP', loginUrl: '/auth/oidc/demo/login' }] })
    expect((await fetch(`${demo.url}/readyz`)).status).toBe(200)

    const res = await login(demo.url, demo.origin, 'alice', passwords.get('alice')!)
    expect(res.status).toBe(200)
    const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!
    const orders = await fetch(`${demo.url}/api/orders/orders`, { headers: { cookie } })
    expect(orders.status).toBe(200)
    expect(await orders.json()).toHaveProperty('orders')
    const me = await fetch(`${demo.url}/api/profile/me`, { headers: { cookie } })
    expect(await me.json()).toMatchObject({ roles: ['user'] })

    const page = await fetch(`${demo.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(await page.text()).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js">/)

    await stopDemo(demo)
    expect(demo.proc.stderr()).not.toMatch(/stopping everything|Error/)

    // A second run on the same data: the users exist, no new passwords, the old one still works.
    const again = await startDemo(dir)
    expect(again.proc.stdout()).toMatch(/admin +\(exists; reset with: pnpm gatehouse user set-password admin/)
    expect(again.proc.stdout()).not.toContain(passwords.get('admin')!)
    expect((await login(again.url, again.origin, 'admin', passwords.get('admin')!)).status).toBe(200)
    await stopDemo(again)
  }, 180_000)
})
