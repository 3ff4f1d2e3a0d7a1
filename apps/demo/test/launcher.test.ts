import { readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { demoPorts, listening, runDemo, tempDir, untilAllClosed, type DemoProcess } from './demo-process.js'

const running: DemoProcess[] = []
const blockers: Server[] = []

// After a failed assertion: SIGTERM to the whole group, SIGKILL if it lingers.
afterEach(async () => {
  for (const server of blockers.splice(0)) await new Promise((r) => server.close(r))
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) continue
    try {
      process.kill(-proc.child.pid!, 'SIGTERM')
    } catch {}
    const timer = setTimeout(() => process.kill(-proc.child.pid!, 'SIGKILL'), 10_000)
    await proc.exited
    clearTimeout(timer)
  }
})

async function startDemo(dir: string, options: Parameters<typeof runDemo>[2] = {}) {
  const proc = runDemo(dir, await demoPorts(), options)
  running.push(proc)
  // The first run may build the web app first.
  await proc.waitFor(/Ctrl-C stops everything/)
  const ports = [proc.ports.gateway, proc.ports.orders, proc.ports.profile, proc.ports.idp]
  return { proc, ports, origin: `http://localhost:${proc.ports.gateway}`, url: `http://127.0.0.1:${proc.ports.gateway}` }
}

async function login(url: string, origin: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username, password }),
  })
}

function passwordsPrinted(out: string): Map<string, string> {
  return new Map([...out.matchAll(/^ {4}(admin|alice) +(\S+) +\(([^)]*)\)$/gm)].map((m) => [m[1]!, m[2]!]))
}

/** Listens on a port of 127.0.0.1, as whatever else a newcomer runs might. */
function occupy(port: number): Promise<void> {
  const server = createServer()
  blockers.push(server)
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()))
}

describe('pnpm demo (apps/demo as a process)', () => {
  it('prints the URL and the logins, keeps them in a 0600 file, serves the app quietly, and stops all its children on SIGTERM', async () => {
    const dir = tempDir('gatehouse-demo-')
    const demo = await startDemo(dir)
    const out = demo.proc.stdout()
    // The public origin follows PORT, so the printed URL is the one the cookie and CSRF check accept.
    expect(out).toContain(`open ${demo.origin}`)
    const passwords = passwordsPrinted(out)
    expect([...passwords.keys()].sort()).toEqual(['admin', 'alice'])
    const file = join(dir, 'demo-logins.txt')
    expect(out).toContain(`Kept in ${file}`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    for (const [username, password] of passwords) expect(readFileSync(file, 'utf8')).toContain(`${username} ${password}`)
    for (const port of demo.ports) expect(await listening(port)).toBe(true)
    // The demo identity provider, and the gateway offering it.
    expect(out).toContain(`"Sign in with Demo IdP" (http://127.0.0.1:${demo.proc.ports.idp}): ada / `)
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
    // No JSON log line per request under the logins.
    expect(demo.proc.stdout()).not.toMatch(/^\{"level"/m)

    demo.proc.child.kill('SIGTERM')
    expect(await demo.proc.exited).toEqual({ code: 0, signal: null })
    for (const port of demo.ports) expect(await listening(port), `port ${port}`).toBe(false)
    expect(demo.proc.stderr()).not.toMatch(/stopping everything|Error/)

    // A second run on the same data: the users exist, their logins come from the file and work.
    const again = await startDemo(dir)
    expect(passwordsPrinted(again.proc.stdout())).toEqual(passwords)
    expect((await login(again.url, again.origin, 'admin', passwords.get('admin')!)).status).toBe(200)
    again.proc.child.kill('SIGINT')
    expect(await again.proc.exited).toEqual({ code: 0, signal: null })
  }, 180_000)

  it.each([
    ['gateway', 'PORT', 'the gateway'],
    ['profile', 'DEMO_PROFILE_PORT', 'the profile service'],
    ['idp', 'DEMO_IDP_PORT', 'the demo identity provider'],
  ] as const)('with the %s port taken, names it and the variable to set, and starts nothing', async (which, variable, what) => {
    const ports = await demoPorts()
    await occupy(ports[which])
    const proc = runDemo(tempDir('gatehouse-demo-busy-'), ports)
    running.push(proc)
    expect(await proc.exited).toEqual({ code: 1, signal: null })
    expect(proc.stderr()).toContain(`port ${ports[which]} (${what}) is already in use`)
    expect(proc.stderr()).toContain(`${variable}=<port> pnpm demo`)
    expect(proc.stderr()).not.toMatch(/EADDRINUSE|\n\s+at /)
    expect(proc.stdout()).not.toContain('Ctrl-C stops everything')
    const others = (['gateway', 'orders', 'profile', 'idp'] as const).filter((p) => p !== which).map((p) => ports[p])
    for (const port of others) expect(await listening(port), `port ${port}`).toBe(false)
  }, 60_000)

  it('leaves no child behind when the launcher is killed with SIGKILL, so the next run starts cleanly', async () => {
    const dir = tempDir('gatehouse-demo-kill-')
    const demo = await startDemo(dir)
    for (const port of demo.ports) expect(await listening(port)).toBe(true)
    demo.proc.child.kill('SIGKILL') // the launcher alone: no handler of ours runs
    expect(await demo.proc.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await untilAllClosed(demo.ports)).toEqual([])

    const again = runDemo(dir, demo.proc.ports)
    running.push(again)
    await again.waitFor(/Ctrl-C stops everything/)
    again.child.kill('SIGTERM')
    expect((await again.exited).code).toBe(0)
  }, 180_000)

  it('stops on a Ctrl-C through pnpm with exit status 0 and no "Command failed"', async () => {
    const dir = tempDir('gatehouse-demo-pnpm-')
    const proc = runDemo(dir, await demoPorts(), { viaPnpm: true })
    running.push(proc)
    await proc.waitFor(/Ctrl-C stops everything/)
    // A terminal's Ctrl-C: SIGINT to the whole foreground process group (pnpm, its shell, the launcher).
    process.kill(-proc.child.pid!, 'SIGINT')
    expect(await proc.exited).toEqual({ code: 0, signal: null })
    expect(proc.stdout() + proc.stderr()).not.toMatch(/Command failed|ELIFECYCLE/)
    expect(await untilAllClosed(Object.values(proc.ports))).toEqual([])
  }, 180_000)
})
