import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER, demoClient, startDemoIdp, type DemoIdp } from '@gatehouse/demo-idp'
import { freePort } from '../../gateway/test/process.js'
import { expectNoTokenInBrowser, JWT } from './page-watch.js'
import { buildWebApp, screenshotPath, startStack, tempDir, type Stack } from './stack.js'

// "Sign in with Demo IdP" in Debian's Chromium: the real redirect flow through a real OpenID
// Provider (apps/demo-idp) and a real gateway, RP-initiated logout, and a back-channel logout.
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
}
const SECRET = 'browser-test-idp-client-secret-0123456789'

let stack: Stack
let idp: DemoIdp
let browser: Browser
let webRoot: string
let configDir: string

beforeAll(async () => {
  webRoot = tempDir('gatehouse-web-build-')
  configDir = tempDir('gatehouse-oidc-config-')
  await buildWebApp(webRoot)
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  idp = await startDemoIdp({ clients: [demoClient(origin, SECRET)], users: [DEMO_USER] })
  const file = join(configDir, 'gatehouse.json')
  writeFileSync(
    file,
    JSON.stringify({
      providers: [{ name: 'demo', displayName: 'Demo IdP', issuer: idp.issuer, clientId: 'gatehouse-demo', clientSecretEnv: 'DEMO_IDP_CLIENT_SECRET', createUsers: true }],
    }),
  )
  stack = await startStack(webRoot, { port, env: { GATEHOUSE_CONFIG: file, DEMO_IDP_CLIENT_SECRET: SECRET } })
  browser = await chromium.launch(CHROMIUM)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await idp?.close()
  for (const dir of [webRoot, configDir]) if (dir) rmSync(dir, { recursive: true, force: true })
})

const heading = (page: Page, name: string) => page.getByRole('heading', { name, level: 1, exact: true })

/** Every response from the gateway's origin is checked: none may carry a JWT. */
function watchGateway(page: Page) {
  const checks: Promise<void>[] = []
  const leaked: string[] = []
  page.on('response', (res) => {
    if (new URL(res.url()).origin !== stack.origin) return
    checks.push(
      (async () => {
        const headers = await res.allHeaders().catch(() => ({}) as Record<string, string>)
        const body = await res.body().catch(() => Buffer.alloc(0))
        if (Object.values(headers).some((v) => JWT.test(v)) || JWT.test(body.toString('latin1'))) leaked.push(res.url())
      })(),
    )
  })
  return async () => {
    await Promise.all(checks)
    expect(leaked).toEqual([])
  }
}

async function signInWithIdp(): Promise<{ context: BrowserContext; page: Page; verify: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 }, baseURL: stack.origin })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  const verify = watchGateway(page)
  await page.goto('/')
  await heading(page, 'Log in').waitFor()
  await page.getByRole('link', { name: 'Sign in with Demo IdP' }).click()
  // The IdP's own page, on its own origin.
  await page.getByRole('heading', { name: 'Demo IdP' }).waitFor()
  expect(new URL(page.url()).origin).toBe(idp.issuer)
  await page.getByLabel('Username').fill(DEMO_USER.username)
  await page.getByLabel('Password').fill(DEMO_USER.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await heading(page, 'Who am I').waitFor()
  expect(new URL(page.url()).origin).toBe(stack.origin)
  return { context, page, verify }
}

describe('Sign in with Demo IdP (Chromium)', () => {
  it('runs the redirect flow to a Gatehouse session, and the browser holds no token', async () => {
    const { context, page, verify } = await signInWithIdp()
    await page.getByText('Where your tokens are').waitFor()
    // No password here to change for a user of the IdP.
    expect(await page.getByRole('link', { name: 'Password' }).count()).toBe(0)
    await expect.poll(() => page.getByText('the identity provider “demo”').count()).toBeGreaterThan(0)
    await page.getByRole('button', { name: 'Call the orders service' }).click()
    await page.locator('figure.answer', { hasText: 'GET /api/orders/orders' }).waitFor()
    await page.screenshot({ path: screenshotPath('oidc-signed-in'), fullPage: true })
    await expectNoTokenInBrowser(page, context, true)
    await verify()
    await context.close()
  })

  it('logs out at the gateway and at the IdP (RP-initiated logout), and comes back to the app', async () => {
    const { context, page } = await signInWithIdp()
    await page.getByRole('button', { name: 'Log out' }).click()
    // The IdP asks to confirm; its answer sends the browser back to the app.
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await heading(page, 'Log in').waitFor()
    expect(new URL(page.url()).origin).toBe(stack.origin)
    // The IdP session ended too: signing in again asks for the password at the IdP.
    await page.getByRole('link', { name: 'Sign in with Demo IdP' }).click()
    await page.getByLabel('Password').waitFor()
    expect(new URL(page.url()).origin).toBe(idp.issuer)
    await context.close()
  })

  it('ends the app’s session when the IdP sends a back-channel logout: the next call is refused', async () => {
    const { context, page } = await signInWithIdp()
    const count = async () => (await stack.gateway.store.listAudit({ type: 'oidc.backchannel_logout' })).length
    const before = await count()
    // The user signs out at the IdP itself, in another tab: the IdP tells the gateway, server to server.
    const idpTab = await context.newPage()
    await idpTab.goto(`${idp.issuer}/session/end`)
    await idpTab.getByRole('button', { name: 'Yes, sign me out' }).click()
    await idpTab.getByText('Sign-out Success').waitFor()
    await expect.poll(count).toBe(before + 1)

    await page.bringToFront()
    await page.getByRole('button', { name: 'Call the orders service' }).click()
    await heading(page, 'Log in').waitFor()
    // The gateway's 401 says why, and the app says it in plain words.
    await page.getByText('You signed out at your identity provider.').waitFor()
    const [revoked] = await stack.gateway.store.listAudit({ type: 'session.revoked' })
    expect(revoked?.details).toEqual({ reason: 'idp_logout' })
    await expectNoTokenInBrowser(page, context, false)
    await context.close()
  })
})
