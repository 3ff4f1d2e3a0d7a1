import { rmSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM } from './chromium.js'
import { expectNoTokenInBrowser, JWT, watchPage, type PageWatch } from './page-watch.js'
import { buildWebApp, screenshotPath, startStack, tempDir, type Stack } from './stack.js'

// The demo app in Debian's Chromium, against a real gateway and both demo services.

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase 42'

let stack: Stack
let browser: Browser
let webRoot: string
const ids = new Map<string, string>()
const contexts: BrowserContext[] = []

beforeAll(async () => {
  webRoot = tempDir('gatehouse-web-build-')
  await buildWebApp(webRoot)
  stack = await startStack(webRoot)
  const { users } = stack.gateway.gateway.core
  for (const [username, roles] of [
    ['alice', ['user']],
    ['bob', ['user']],
    ['carol', ['user']],
    ['dave', ['user']],
    ['root', ['admin', 'user']],
  ] as const) {
    const user = await users.create({ username, password: PASSWORD, roles: [...roles] }, { actor: 'test' })
    ids.set(username, user.id)
  }
  browser = await chromium.launch(CHROMIUM)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.close()
  if (webRoot) rmSync(webRoot, { recursive: true, force: true })
})

/** A browser profile of its own: another device, as far as the gateway can tell. */
async function device(options: { fakeClock?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 }, baseURL: stack.origin })
  context.setDefaultTimeout(10_000)
  contexts.push(context)
  // The page's timers and Date under the test's control (the gateway keeps real time).
  if (options.fakeClock) await context.clock.install()
  const page = await context.newPage()
  const watch = watchPage(page, stack.origin)
  await page.goto('/')
  await heading(page, 'Log in').waitFor()
  return { context, page, watch }
}

const heading = (page: Page, name: string) => page.getByRole('heading', { name, level: 1, exact: true })

async function login(page: Page, username: string, password = PASSWORD, deviceName?: string): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password', { exact: true }).fill(password)
  if (deviceName !== undefined) await page.getByLabel('Device name').fill(deviceName)
  await page.getByRole('button', { name: 'Log in' }).click()
}

async function loginAs(page: Page, username: string, password = PASSWORD, deviceName?: string): Promise<void> {
  await login(page, username, password, deviceName)
  await heading(page, 'Who am I').waitFor()
}

/** The page-wide message under the header. */
const notice = (page: Page) => page.locator('#notice')

async function callService(page: Page, label: 'orders' | 'profile'): Promise<string> {
  const path = label === 'orders' ? '/api/orders/orders' : '/api/profile/me'
  await page.getByRole('button', { name: `Call the ${label} service` }).click()
  const answer = page.locator('figure.answer', { hasText: `GET ${path}` })
  await answer.waitFor()
  return (await answer.textContent()) ?? ''
}

/**
 * A revoked device finds out on its next request: the gateway says 401 with the reason, the page
 * shows the login form and says why in plain words.
 */
async function expectSentToLogin(page: Page, why: string): Promise<void> {
  await page.getByRole('button', { name: 'Call the orders service' }).click()
  await heading(page, 'Log in').waitFor()
  await notice(page).getByText(`${why} Please log in again.`).waitFor()
  expect(await page.evaluate(() => location.hash)).toBe('#/login')
}

describe('the demo app in a real browser', () => {
  it('logs in, calls both services, manages devices, changes the password and logs out everywhere', async () => {
    const a = await device()
    await a.page.screenshot({ path: screenshotPath('login'), fullPage: true })
    await expectNoTokenInBrowser(a.page, a.context, false)

    await loginAs(a.page, 'alice', PASSWORD, 'Laptop A')
    const facts = a.page.locator('dl.facts')
    await expect.poll(() => facts.textContent()).toContain('alice')
    expect(await facts.textContent()).toContain('Laptop A')
    expect(await facts.getByText('user', { exact: true }).count()).toBe(1)
    expect(await facts.textContent()).toMatch(/Session expires.*\d/)
    await expectNoTokenInBrowser(a.page, a.context, true)

    // Both services answer through the gateway; they saw a JWT, the page only their JSON.
    const orders = await callService(a.page, 'orders')
    expect(orders).toContain('answered 200')
    expect(orders).toContain('"orders"')
    const profile = await callService(a.page, 'profile')
    expect(profile).toContain(`"sub": "${ids.get('alice')}"`)
    expect(profile).toContain('"aud": "profile"')
    expect(profile).not.toMatch(JWT)
    await a.page.screenshot({ path: screenshotPath('who-am-i'), fullPage: true })

    // A second device, then revoked from the first.
    const b = await device()
    await loginAs(b.page, 'alice', PASSWORD, 'Phone B')
    await a.page.getByRole('link', { name: 'Your devices' }).click()
    await heading(a.page, 'Your devices').waitFor()
    const items = a.page.locator('ul.devices > li')
    await expect.poll(() => items.count()).toBe(2)
    const current = a.page.locator('ul.devices > li.current')
    expect(await current.textContent()).toContain('Laptop A')
    expect(await current.textContent()).toContain('This device')
    // Two browsers of the same make: told apart by network and a short id.
    const where = await items.locator('.device-where').allTextContents()
    for (const text of where) expect(text).toMatch(/^Network 127\.0\.0\.0\/24 · id [\w-]{8}$/)
    expect(new Set(where).size).toBe(2)
    await a.page.screenshot({ path: screenshotPath('devices'), fullPage: true })

    await a.page.getByRole('button', { name: 'Revoke Phone B' }).click()
    await a.page.getByText('“Phone B” is logged out.').waitFor()
    await expect.poll(() => items.count()).toBe(1)
    await expectSentToLogin(b.page, 'You were signed out from another device.')
    await expectNoTokenInBrowser(b.page, b.context, false)
    await b.page.screenshot({ path: screenshotPath('session-ended'), fullPage: true })

    // A password change keeps this device and logs out every other one.
    await loginAs(b.page, 'alice', PASSWORD, 'Phone B')
    await a.page.getByRole('link', { name: 'Password' }).click()
    await heading(a.page, 'Change password').waitFor()
    await a.page.getByLabel('Current password').fill('not my password')
    await a.page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await a.page.getByLabel('New password, again').fill(NEW_PASSWORD)
    await a.page.getByRole('button', { name: 'Change password' }).click()
    await a.page.getByText('The current password is wrong.').waitFor()
    expect(await heading(a.page, 'Change password').count()).toBe(1)
    await a.page.getByLabel('Current password').fill(PASSWORD)
    await a.page.getByRole('button', { name: 'Change password' }).click()
    await a.page.getByText('Password changed.').waitFor()
    await a.page.screenshot({ path: screenshotPath('password'), fullPage: true })
    await expectSentToLogin(b.page, 'Your password was changed on another device, which signs out every other one.')
    await login(b.page, 'alice', PASSWORD)
    await b.page.getByText('Wrong username or password.').waitFor()
    // The new answer replaces the banner of the old one: they never stack.
    expect(await notice(b.page).isVisible()).toBe(false)
    await loginAs(b.page, 'alice', NEW_PASSWORD, 'Phone B')

    // "Log out other devices", then "log out everywhere".
    await a.page.getByRole('link', { name: 'Your devices' }).click()
    await expect.poll(() => items.count()).toBe(2)
    await a.page.getByRole('button', { name: 'Log out other devices' }).click()
    await a.page.getByText('Every other device is logged out.').waitFor()
    await expect.poll(() => items.count()).toBe(1)
    await expectSentToLogin(b.page, 'You were signed out from another device (it logged out the others).')

    await a.page.getByRole('button', { name: 'Log out everywhere' }).click()
    await heading(a.page, 'Log in').waitFor()
    await notice(a.page).getByText('logged out on every device').waitFor()
    expect((await a.page.request.get('/auth/session')).status()).toBe(401)
    await expectNoTokenInBrowser(a.page, a.context, false)

    for (const { watch } of [a, b]) expect((await watch.verify()).responses).toBeGreaterThan(5)
  }, 90_000)

  it('lets an admin suspend a user, edit roles and read the audit list', async () => {
    const user = await device()
    await loginAs(user.page, 'bob', PASSWORD, 'Bob desktop')
    // A user without the admin role sees no admin screen, and the gateway refuses the API.
    expect(await user.page.getByRole('link', { name: 'Admin' }).count()).toBe(0)
    await user.page.goto('/#/admin')
    await heading(user.page, 'Administrators only').waitFor()
    expect((await user.page.request.get('/admin/users')).status()).toBe(403)
    await user.page.goto('/#/')
    await heading(user.page, 'Who am I').waitFor()

    const admin = await device()
    await loginAs(admin.page, 'root', PASSWORD, 'Admin laptop')
    await admin.page.getByRole('link', { name: 'Admin' }).click()
    await heading(admin.page, 'Administration').waitFor()
    const bob = admin.page.locator('li.user', { has: admin.page.getByRole('heading', { name: 'bob', exact: true }) })
    await bob.getByText('Bob desktop').waitFor()
    expect(await bob.textContent()).toContain('Sessions (1)')
    const audit = admin.page.locator('table.audit tbody')
    await audit.getByText('login.succeeded').first().waitFor()
    await admin.page.screenshot({ path: screenshotPath('admin'), fullPage: true })

    // Suspend: bob's session ends, his login is refused, the audit list shows it.
    await admin.page.getByRole('button', { name: 'Suspend bob' }).click()
    await admin.page.getByText('bob is suspended and logged out everywhere.').waitFor()
    await bob.getByText('suspended', { exact: true }).waitFor()
    expect(await bob.textContent()).toContain('Sessions (0)')
    const suspendedRow = audit.locator('tr', { hasText: 'user.suspended' })
    await suspendedRow.first().waitFor()
    expect(await suspendedRow.first().textContent()).toContain('bob')
    expect(await suspendedRow.first().textContent()).toContain('by: admin:root')
    // Each event with the device and address it came from.
    expect(await suspendedRow.first().locator('td').nth(3).textContent()).toBe('Chrome on Linux')
    const loginRow = audit.locator('tr', { hasText: 'login.succeeded' }).first()
    expect(await loginRow.locator('td').nth(3).textContent()).toMatch(/^Chrome on Linux · id [\w-]{8}$/)
    expect(await suspendedRow.first().locator('td').nth(4).textContent()).toBe('127.0.0.1')
    // Filters: by event type, then by user as well.
    await admin.page.getByRole('combobox', { name: 'Event', exact: true }).selectOption('user.suspended')
    await expect.poll(async () => (await audit.locator('tr').allTextContents()).every((t) => t.includes('user.suspended'))).toBe(true)
    await admin.page.getByRole('combobox', { name: 'Event', exact: true }).selectOption('')
    await admin.page.getByRole('combobox', { name: 'User', exact: true }).selectOption({ label: 'bob' })
    await expect.poll(async () => {
      const users = await audit.locator('tr td:nth-child(3)').allTextContents()
      return users.length > 0 && users.every((u) => u === 'bob')
    }).toBe(true)
    await admin.page.screenshot({ path: screenshotPath('admin-audit-filtered'), fullPage: true })
    await admin.page.getByRole('combobox', { name: 'User', exact: true }).selectOption('')
    await expectSentToLogin(user.page, 'An administrator suspended your account.')
    await login(user.page, 'bob')
    await user.page.getByText('This account is suspended.').waitFor()
    await admin.page.screenshot({ path: screenshotPath('admin-suspended'), fullPage: true })

    await admin.page.getByRole('button', { name: 'Unsuspend bob' }).click()
    await admin.page.getByText('bob can log in again.').waitFor()
    await loginAs(user.page, 'bob', PASSWORD, 'Bob desktop')

    // New roles end the user's sessions; his next login carries them.
    await bob.getByLabel('Roles of bob').fill('user, auditor')
    await bob.getByRole('button', { name: 'Save roles' }).click()
    await admin.page.getByText('bob now has the roles: user, auditor.').waitFor()
    await audit.locator('tr', { hasText: 'user.roles_changed' }).first().waitFor()
    await expectSentToLogin(user.page, 'An administrator changed your roles; your next session carries the new ones.')
    await loginAs(user.page, 'bob')
    await user.page.locator('dl.facts').getByText('auditor', { exact: true }).waitFor()

    await expectNoTokenInBrowser(admin.page, admin.context, true)
    await expectNoTokenInBrowser(user.page, user.context, true)
    for (const { watch } of [admin, user]) await watch.verify()
  }, 90_000)

  it('shows an admin the sessions the anomaly policy flagged', async () => {
    const user = await device()
    await loginAs(user.page, 'dave', PASSWORD, 'Dave tablet')
    // Every request here comes from 127.0.0.1, so the flag a network change would raise is raised
    // through the gateway's own anomaly handling, as the detector does on a real change.
    const { store, gateway } = stack.gateway
    const [session] = await store.listActiveSessions(ids.get('dave')!, Date.now())
    await gateway.core.sessions.reportAnomaly(
      session!,
      { kinds: ['networkChange'], action: 'flag', fingerprint: { uaFamilyHash: session!.uaFamilyHash, networkHash: 'elsewhere' } },
      { clientIp: '203.0.113.99', userAgent: session!.userAgent },
    )

    const admin = await device()
    await loginAs(admin.page, 'root', PASSWORD, 'Admin laptop')
    await admin.page.getByRole('link', { name: 'Admin' }).click()
    await heading(admin.page, 'Administration').waitFor()
    const dave = admin.page.locator('li.user', { has: admin.page.getByRole('heading', { name: 'dave', exact: true }) })
    const flag = dave.locator('li', { hasText: 'Dave tablet' }).locator('.session-flag')
    await flag.waitFor()
    expect(await flag.textContent()).toMatch(/flagged.*network changed \(from 203\.0\.113\.99, /)
    await admin.page.locator('table.audit tbody tr', { hasText: 'session.anomaly' }).first().waitFor()
    await admin.page.screenshot({ path: screenshotPath('admin-flagged'), fullPage: true })
  })

  it('says when to try again after too many failed logins (429 and Retry-After), counting down with the button disabled', async () => {
    const { page, watch } = await device({ fakeClock: true })
    for (let i = 0; i < 5; i++) {
      const answered = page.waitForResponse((r) => r.url().endsWith('/auth/login'))
      await login(page, 'carol', 'wrong password')
      expect((await answered).status()).toBe(401)
      await page.getByText('Wrong username or password.').waitFor()
    }
    const limited = page.waitForResponse((r) => r.url().endsWith('/auth/login'))
    await login(page, 'carol', PASSWORD)
    const res = await limited
    expect(res.status()).toBe(429)
    const retryAfter = Number(res.headers()['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    const message = page.getByText(/^Too many attempts\. Try again in \d+ seconds \(at .+\)\.$/)
    await message.waitFor()
    expect(Number((await message.textContent())!.match(/in (\d+) seconds/)![1])).toBe(retryAfter)
    expect(await heading(page, 'Log in').count()).toBe(1)
    const button = page.getByRole('button', { name: 'Log in' })
    expect(await button.isDisabled()).toBe(true)
    await page.screenshot({ path: screenshotPath('rate-limited'), fullPage: true })

    // It counts down, and the button comes back when the wait is over (the page's clock runs fast).
    await page.clock.runFor(10_000)
    expect(Number((await message.textContent())!.match(/in (\d+) seconds/)![1])).toBe(retryAfter - 10)
    expect(await button.isDisabled()).toBe(true)
    await page.clock.runFor((retryAfter - 10) * 1000)
    await page.getByText('You can try again now.').waitFor()
    expect(await button.isDisabled()).toBe(false)
    await watch.verify()
  }, 60_000)

  it('works with the keyboard alone, with visible focus', async () => {
    const { page, watch } = await device()
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null
        const style = el ? getComputedStyle(el) : null
        return { tag: el?.tagName, name: el?.getAttribute('name') ?? el?.textContent?.trim(), outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '' }
      })
    await page.keyboard.press('Tab')
    expect((await focused()).name).toBe('Skip to content')
    await page.keyboard.press('Tab')
    expect(await focused()).toMatchObject({ tag: 'INPUT', name: 'username' })
    await page.keyboard.type('dave')
    await page.keyboard.press('Tab')
    expect(await focused()).toMatchObject({ tag: 'INPUT', name: 'password' })
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    const button = await focused()
    expect(button).toMatchObject({ tag: 'BUTTON', name: 'Log in' })
    expect(button.outline).toMatch(/^solid [1-9]/)
    await page.keyboard.press('Enter')
    await heading(page, 'Who am I').waitFor()
    // The new screen's heading takes the focus, as after a page load.
    expect((await focused()).tag).toBe('H1')

    // Every action is a real button: reachable by Tab, run with Enter.
    let steps = 0
    while ((await focused()).name !== 'Call the orders service' && steps++ < 20) await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await page.locator('figure.answer').getByText('answered 200').waitFor()
    expect(await page.locator('[aria-live]').count()).toBeGreaterThan(0)
    await watch.verify()
  }, 60_000)

  it('shows under the hood what the browser holds beside what each service verified, and the route rules at work', async () => {
    const { page, context, watch } = await device()
    await loginAs(page, 'dave', PASSWORD, 'Hood laptop')
    await page.getByRole('link', { name: 'Under the hood' }).click()
    await heading(page, 'Under the hood').waitFor()

    // The cookie's attributes as the gateway set them, and a live proof that scripts read nothing.
    const browserSide = page.locator('section.card', { has: page.getByRole('heading', { name: 'In this browser' }) })
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/']) await browserSide.getByText(attribute, { exact: true }).waitFor()
    const cookie = (await context.cookies()).find((c) => c.name === 'gatehouse')!
    expect(await browserSide.textContent()).toContain(`${cookie.value.length} bytes`)
    const proof = page.getByTestId('script-proof')
    expect(await proof.textContent()).toBe('document.cookie""localStorage0 item(s)sessionStorage0 item(s)')

    // Each service echoes what it verified: the same kid, a different aud.
    const jwks = (await (await page.request.get('/.well-known/jwks.json')).json()) as { keys: { kid: string }[] }
    const seen: Record<string, string> = {}
    for (const name of ['orders', 'profile']) {
      await page.getByRole('button', { name: `Ask ${name} what it verified` }).click()
      const out = page.getByTestId(`verified-${name}`)
      await out.locator('dl').waitFor()
      const aud = out.locator('dt', { hasText: /^aud$/ }).locator('xpath=following-sibling::dd[1]')
      expect(await aud.textContent()).toBe(`"${name}"`)
      expect(await aud.locator('code.highlight').count()).toBe(1)
      const kid = (await out.locator('dt', { hasText: /^header\.kid$/ }).locator('xpath=following-sibling::dd[1]').textContent())!
      expect(jwks.keys.map((k) => k.kid)).toContain(kid)
      seen[name] = kid
      expect(await out.locator('dt', { hasText: /^header\.typ$/ }).locator('xpath=following-sibling::dd[1]').textContent()).toBe('at+jwt')
      expect(await out.textContent()).not.toMatch(JWT)
    }
    expect(seen.orders).toBe(seen.profile)

    // The route rules: a user without the admin role gets 403 from the gateway, a big body 413.
    const rule = page.getByTestId('rule-answer')
    await page.getByRole('button', { name: 'Call an admin-only route' }).click()
    await rule.getByText(/GET \/api\/orders\/admin\/orders answered 403 ERR_FORBIDDEN by the gateway/).waitFor()
    await page.getByRole('button', { name: 'Send a 70 KB order' }).click()
    await rule.getByText(/POST \/api\/orders\/orders answered 413 ERR_PAYLOAD_TOO_LARGE by the gateway/).waitFor()
    await page.getByRole('list').filter({ hasText: 'Open a private window' }).waitFor()
    // The links lead somewhere: the README, the verify guide, the threat model and the JWKS.
    const links = page.getByTestId('doc-links').getByRole('link')
    const targets = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')!))
    expect(targets).toEqual(['/docs/README.txt', '/docs/verify-guide.txt', '/docs/THREATS.txt', '/.well-known/jwks.json'])
    for (const [href, start] of [['/docs/README.txt', '# Gatehouse'], ['/docs/verify-guide.txt', '#'], ['/docs/THREATS.txt', '# Gatehouse threat model']] as const) {
      const res = await page.request.get(href)
      expect(res.status(), href).toBe(200)
      expect(res.headers()['content-type']).toMatch(/^text\/plain/)
      expect((await res.text()).startsWith(start), href).toBe(true)
    }
    await page.screenshot({ path: screenshotPath('under-the-hood'), fullPage: true })
    await expectNoTokenInBrowser(page, context, true)
    await watch.verify()
  }, 60_000)

  it('the watcher does see a JWT when a response carries one', async () => {
    // Proves the leak check above can fail: a route fulfilled with a token-shaped body.
    const { page, watch } = await device()
    await page.route('**/probe', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }))
    await page.evaluate(() => fetch('/probe').then((r) => r.text()))
    await expect(watch.verify()).rejects.toThrow(/JWT/)
    expect(watch.jwtSeen).toEqual([`${stack.origin}/probe`])
  })

  // Last: after the emergency rotation the new key signs at once, and a service that fetched the
  // JWKS less than its 30 s cooldown ago refuses its tokens until it may fetch again. (A normal
  // rotation does not have that gap: the new key signs only 40 s after it is published.)
  it('lets an admin rotate the signing keys, normally and in an emergency', async () => {
    const admin = await device()
    await loginAs(admin.page, 'root', PASSWORD, 'Admin laptop')
    await admin.page.getByRole('link', { name: 'Admin' }).click()
    await heading(admin.page, 'Administration').waitFor()
    const audit = admin.page.locator('table.audit tbody')
    await audit.locator('tr').first().waitFor()
    const rotations = () => audit.locator('tr', { hasText: 'key.rotated' }).count()
    expect(await rotations()).toBe(0)

    // The keys card lists every published key with its state, before and after each rotation.
    const keyRows = admin.page.getByRole('table', { name: 'Published signing keys' }).locator('tbody tr')
    await expect.poll(() => keyRows.count()).toBe(1)
    expect(await keyRows.first().getAttribute('data-state')).toBe('signing')
    await admin.page.getByRole('button', { name: 'Rotate signing key' }).click()
    await admin.page.getByText(/New key \S+ \(EdDSA\) is published now and signs from .+, once services have had time to fetch it\. Until then the current key signs/).waitFor()
    await expect.poll(rotations).toBe(1)
    const published = async () => ((await (await admin.page.request.get('/.well-known/jwks.json')).json()) as { keys: unknown[] }).keys.length
    expect(await published()).toBe(2)
    await expect.poll(() => keyRows.count()).toBe(2)
    expect(await keyRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')))).toEqual(['next', 'signing'])
    expect(await keyRows.first().textContent()).toContain('published, signs soon')

    // The emergency rotation asks once more, in the page, with the focus on the confirmation.
    await admin.page.getByRole('button', { name: 'Emergency rotation…' }).click()
    const yes = admin.page.getByRole('button', { name: 'Yes, drop the old keys now' })
    expect(await yes.evaluate((el) => el === document.activeElement)).toBe(true)
    await admin.page.screenshot({ path: screenshotPath('admin-keys'), fullPage: true })
    await yes.click()
    // Both older keys were dropped, and the message names both.
    await admin.page.getByText(/Emergency rotation done: new key \S+ \(EdDSA\) signs now\. Dropped from the JWKS: \S+, \S+\./).waitFor()
    await expect.poll(rotations).toBe(2)
    expect(await published()).toBe(1)
    await expect.poll(() => keyRows.count()).toBe(1)
    expect(await keyRows.first().getAttribute('data-state')).toBe('signing')
    await admin.page.screenshot({ path: screenshotPath('admin-keys-after-emergency'), fullPage: true })

    await expectNoTokenInBrowser(admin.page, admin.context, true)
    await admin.watch.verify()
  }, 60_000)
})

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close().catch(() => {})))
})
