import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.js'
import { makeGateway, tempDir, testConfig } from './helpers.js'

const INDEX = '<!doctype html><title>demo</title><script type="module" src="/assets/app-1a2b3c.js"></script>'

/** A built app, plus files that must never be served: decoys under the gateway's own paths. */
function webRoot(): string {
  const root = tempDir('gatehouse-web-')
  writeFileSync(join(root, 'index.html'), INDEX)
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'assets', 'app-1a2b3c.js'), 'console.log("app")')
  writeFileSync(join(root, 'robots.txt'), 'User-agent: *\n')
  writeFileSync(join(root, '.env'), 'SECRET=1')
  for (const dir of ['auth', 'admin', 'api/orders', '.well-known', 'metrics']) mkdirSync(join(root, dir), { recursive: true })
  writeFileSync(join(root, 'auth', 'session'), 'decoy')
  writeFileSync(join(root, 'auth', 'decoy.txt'), 'decoy')
  writeFileSync(join(root, 'admin', 'index.html'), 'decoy')
  writeFileSync(join(root, 'api', 'orders', 'orders'), 'decoy')
  writeFileSync(join(root, '.well-known', 'jwks.json'), '{"decoy":true}')
  writeFileSync(join(root, 'metrics', 'index.html'), 'decoy')
  writeFileSync(join(root, 'healthz'), 'decoy')
  return root
}

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  expect(res.headers.get('referrer-policy')).toBe('no-referrer')
}

describe('the web app from GATEHOUSE_WEB_ROOT', () => {
  it('serves index.html at / with a strict CSP and the security headers', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: webRoot() } })
    for (const path of ['/', '/index.html']) {
      const res = await gw.request(path)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await res.text()).toBe(INDEX)
      expectSecurityHeaders(res)
      const csp = res.headers.get('content-security-policy') ?? ''
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
      expect(directives.get('default-src')).toEqual(["'self'"])
      expect(directives.get('script-src')).toEqual(["'self'"])
      expect(directives.get('frame-ancestors')).toEqual(["'none'"])
      expect(directives.get('object-src')).toEqual(["'none'"])
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    }
  })

  it('serves hashed assets with their type, nosniff and a long cache', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: webRoot() } })
    const res = await gw.request('/assets/app-1a2b3c.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(res.headers.get('cache-control')).toContain('immutable')
    expectSecurityHeaders(res)
    expect(await res.text()).toBe('console.log("app")')
  })

  it('answers an unknown file, a POST and a hidden file with the gateway 404', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: webRoot() } })
    for (const res of [await gw.request('/nope.js'), await gw.request('/', { method: 'POST', body: {} }), await gw.request('/.env')]) {
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect((await res.json()).code).toBe('ERR_NOT_FOUND')
    }
    expect((await gw.request('/robots.txt')).status).toBe(200)
  })

  it('refuses encoded dot segments instead of leaving the root', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: webRoot() } })
    for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fgatehouse.db', '/%2e%65nv']) {
      const res = await gw.request(path)
      expect(res.status).toBe(404)
      expect(await res.text()).not.toContain('SECRET')
    }
  })
})

describe('the gateway paths are never shadowed by files in the web root', () => {
  it('keeps /auth, /admin, /api, /.well-known, /healthz and /metrics for the gateway', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: webRoot() } })
    for (const path of ['/auth/session', '/admin/', '/api/orders/orders']) {
      const res = await gw.request(path)
      expect(res.status, path).toBe(401)
      expect((await res.json()).code).toBe('ERR_UNAUTHENTICATED')
    }
    for (const path of ['/auth/decoy.txt', '/AUTH/decoy.txt']) expect((await gw.request(path)).status, path).toBe(404)
    const jwks = await (await gw.request('/.well-known/jwks.json')).json()
    expect(jwks.keys.length).toBeGreaterThan(0)
    expect(await (await gw.request('/healthz')).json()).toEqual({ status: 'ok' })
    expect(await (await gw.request('/metrics/')).text()).not.toBe('decoy')
    expect(await (await gw.request('/metrics')).text()).not.toBe('decoy')
  })
})

describe('without GATEHOUSE_WEB_ROOT', () => {
  it('serves no pages', async () => {
    const gw = await makeGateway()
    const res = await gw.request('/')
    expect(res.status).toBe(404)
    expect((await res.json()).code).toBe('ERR_NOT_FOUND')
  })
})

describe('GATEHOUSE_WEB_ROOT is checked at start-up', () => {
  it('refuses a missing directory and one without index.html, naming the variable', () => {
    const empty = tempDir('gatehouse-web-empty-')
    for (const value of [join(empty, 'missing'), empty]) {
      let error: unknown
      try {
        testConfig({ GATEHOUSE_WEB_ROOT: value })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).variable).toBe('GATEHOUSE_WEB_ROOT')
    }
  })

  it('resolves a relative path against the working directory', () => {
    const root = webRoot()
    const config = testConfig({ GATEHOUSE_WEB_ROOT: '.' }, root)
    expect(config.webRoot).toBe(root)
  })
})
