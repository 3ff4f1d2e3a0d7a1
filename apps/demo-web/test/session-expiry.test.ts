import { rmSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM } from './chromium.js'
import { watchPage } from './page-watch.js'
import { buildWebApp, screenshotPath, startStack, tempDir, type Stack } from './stack.js'

// A short idle timeout, in real time: the countdown on "Who am I" must tell the truth and notice the end.
const IDLE_TTL_S = 8
const PASSWORD = 'correct horse battery staple'

let stack: Stack
let browser: Browser
let webRoot: string

beforeAll(async () => {
  webRoot = tempDir('gatehouse-web-build-')
  await buildWebApp(webRoot)
  stack = await startStack(webRoot, { env: { GATEHOUSE_IDLE_TTL: String(IDLE_TTL_S) } })
  await stack.gateway.gateway.core.users.create({ username: 'erin', password: PASSWORD, roles: ['user'] }, { actor: 'test' })
  browser = await chromium.launch(CHROMIUM)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  if (webRoot) rmSync(webRoot, { recursive: true, force: true })
})

const secondsShown = (text: string | null) => Number(/in (\d+) seconds?/.exec(text ?? '')?.[1])

describe('the session countdown in a real browser', () => {
  it('counts down to the gateway deadline, moves with each call, and says why the session ended when it did', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 820 }, baseURL: stack.origin })
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    const watch = watchPage(page, stack.origin)
    await page.goto('/')
    await page.getByLabel('Username').fill('erin')
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    const countdown = page.getByTestId('countdown')
    await countdown.waitFor()

    // What the page shows is the gateway's deadline: never before IDLE_TTL from now.
    const first = secondsShown(await countdown.textContent())
    expect(first).toBeGreaterThanOrEqual(IDLE_TTL_S - 1)
    expect(first).toBeLessThanOrEqual(IDLE_TTL_S + 1)
    await expect.poll(async () => secondsShown(await countdown.textContent()), { timeout: 5000 }).toBeLessThan(first)
    await page.screenshot({ path: screenshotPath('session-countdown'), fullPage: true })

    // A call through the gateway moves the deadline, and the countdown follows.
    const lowered = secondsShown(await countdown.textContent())
    await page.getByRole('button', { name: 'Call the orders service' }).click()
    await page.locator('figure.answer').getByText('answered 200').waitFor()
    await expect.poll(async () => secondsShown(await countdown.textContent())).toBeGreaterThan(lowered)

    // Left alone, it reaches zero, asks the gateway, and the page says the session expired.
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor({ timeout: (IDLE_TTL_S + 5) * 1000 })
    await page.locator('#notice').getByText('Your session expired: it was idle too long, or reached its maximum lifetime. Please log in again.').waitFor()
    await page.screenshot({ path: screenshotPath('session-expired'), fullPage: true })
    await watch.verify()
    await context.close()
  }, 60_000)
})
