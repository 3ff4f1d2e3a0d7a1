import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeGateway, tempDir } from './helpers.js'
import { rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

let upstream: TestUpstream
let gw: ProxyGateway
let cookie: string

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    res.setHeader('content-type', req.url === '/page' ? 'text/html' : 'application/json')
    if (req.url === '/cached') res.setHeader('cache-control', 'public, max-age=60')
    if (req.url === '/sniff') res.setHeader('x-content-type-options', 'whatever')
    res.end(req.url === '/page' ? '<p>hi</p>' : '{"ok":true}')
  })
  gw = await startProxyGateway({ upstreams: { echo: upstream.url } })
  cookie = await gw.login('alice')
})
afterAll(async () => {
  await gw?.close(1000)
  await upstream?.close()
})

describe('response defaults on a real server (the proxy writes its answers straight to the socket)', () => {
  it('a proxied answer without Cache-Control gets "private, no-store"; one that sets its own keeps it', async () => {
    const plain = await rawRequest(gw.url, '/api/echo/plain', { headers: { cookie } })
    expect(plain.status).toBe(200)
    expect(plain.headers['cache-control']).toBe('private, no-store')
    const cached = await rawRequest(gw.url, '/api/echo/cached', { headers: { cookie } })
    expect(cached.headers['cache-control']).toBe('public, max-age=60')
  })

  it('every answer says nosniff: proxied (whatever the upstream said), refused, the gateway\'s own, unknown paths', async () => {
    for (const [path, headers] of [
      ['/api/echo/plain', { cookie }],
      ['/api/echo/sniff', { cookie }],
      ['/api/echo/plain', {}],
      ['/auth/session', {}],
      ['/healthz', {}],
      ['/.well-known/jwks.json', {}],
      ['/no/such/path', {}],
    ] as const) {
      const res = await rawRequest(gw.url, path, { headers })
      expect(res.headers['x-content-type-options'], path).toBe('nosniff')
    }
  })

  it('an HTML answer, proxied or a page of the web app, gets COOP same-origin', async () => {
    const proxied = await rawRequest(gw.url, '/api/echo/page', { headers: { cookie } })
    expect(proxied.headers['cross-origin-opener-policy']).toBe('same-origin')
    const json = await rawRequest(gw.url, '/api/echo/plain', { headers: { cookie } })
    expect(json.headers['cross-origin-opener-policy']).toBeUndefined()
  })
})

describe('pages of GATEHOUSE_WEB_ROOT', () => {
  it('get COOP same-origin and nosniff; their assets nosniff', async () => {
    const root = tempDir('gatehouse-web-')
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>')
    mkdirSync(join(root, 'assets'))
    writeFileSync(join(root, 'assets', 'app-1.js'), '1')
    const web = await makeGateway({ env: { GATEHOUSE_WEB_ROOT: root } })
    const page = await web.request('/')
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    const asset = await web.request('/assets/app-1.js')
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff')
    expect(asset.headers.get('cross-origin-opener-policy')).toBeNull()
  })
})
