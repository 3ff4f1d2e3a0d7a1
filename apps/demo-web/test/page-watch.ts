import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'

/** A compact JWS: what an access token looks like on the wire. */
export const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/

export interface PageWatch {
  /** Waits for every response body seen so far to be checked, then asserts nothing leaked. */
  verify(): Promise<{ responses: number }>
  /** URLs whose body or headers held a JWT (the assertions in `verify` use it). */
  jwtSeen: string[]
}

/**
 * Listens to everything the page receives: no response body or header may hold a JWT, every
 * request stays on the gateway's origin, and the page logs no script error or CSP violation.
 */
export function watchPage(page: Page, origin: string): PageWatch {
  const checks: Promise<void>[] = []
  const jwtSeen: string[] = []
  const foreign: string[] = []
  const errors: string[] = []
  let responses = 0

  page.on('request', (req) => {
    const url = req.url()
    if (!url.startsWith('data:') && new URL(url).origin !== origin) foreign.push(url)
  })
  page.on('response', (res) => {
    responses++
    checks.push(
      (async () => {
        const headers = await res.allHeaders().catch(() => ({}) as Record<string, string>)
        if (Object.values(headers).some((v) => JWT.test(v))) jwtSeen.push(`${res.url()} (header)`)
        const body = await res.body().catch(() => Buffer.alloc(0))
        if (JWT.test(body.toString('latin1'))) jwtSeen.push(res.url())
      })(),
    )
  })
  page.on('console', (msg) => {
    // Chromium logs every 4xx fetch as "Failed to load resource"; those are answers, not errors.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text())
  })
  page.on('pageerror', (error) => errors.push(String(error)))

  return {
    jwtSeen,
    async verify() {
      await Promise.all(checks)
      expect(jwtSeen, 'responses that carried a JWT').toEqual([])
      expect(foreign, 'requests that left the origin').toEqual([])
      expect(errors, 'script errors and CSP violations').toEqual([])
      return { responses }
    },
  }
}

/** Nothing a script can read holds a credential: no readable cookie, empty web storage. */
export async function expectNoTokenInBrowser(page: Page, context: BrowserContext, signedIn: boolean): Promise<void> {
  const state = await page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
  }))
  expect(state.cookie).toBe('')
  expect(state.local).toEqual([])
  expect(state.session).toEqual([])
  // The session cookie exists all the same: HttpOnly, so the page cannot see it.
  const cookies = await context.cookies()
  expect(cookies.some((c) => c.name.endsWith('gatehouse'))).toBe(signedIn)
  for (const cookie of cookies) {
    expect(cookie.httpOnly, cookie.name).toBe(true)
    expect(cookie.value).not.toMatch(JWT)
  }
}
