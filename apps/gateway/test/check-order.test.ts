import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGateway } from './helpers.js'
import { startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

let upstream: TestUpstream | undefined
let gw: ProxyGateway | undefined
afterEach(async () => {
  await gw?.close(0)
  await upstream?.close()
  gw = upstream = undefined
})

/**
 * Sends the head of a request with `Expect: 100-continue`, waits for the first answer line,
 * then (only if it was 100) the body, and returns every status line the client saw.
 */
function expectContinue(url: string, path: string, headers: Record<string, string>, body: string): Promise<string[]> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Expect: 100-continue', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close']
    for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`)
    let received = ''
    let sentBody = false
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      received += chunk
      if (!sentBody && received.startsWith('HTTP/1.1 100 ') && received.includes('\r\n\r\n')) {
        sentBody = true
        socket.write(body)
      }
    })
    socket.on('end', () => resolve(received.split('\r\n').filter((l) => /^HTTP\/1\.1 \d{3}/.test(l))))
    socket.on('error', reject)
    socket.write(`${head.join('\r\n')}\r\n\r\n`)
  })
}

describe('the session and the origin are checked first', () => {
  it('an unknown upstream name answers 401 without a session, like a known one; 404 only with one', async () => {
    const g = await makeGateway({ env: { GATEHOUSE_UPSTREAMS: 'orders=http://127.0.0.1:9' } })
    await g.createUser('alice')
    for (const path of ['/api/orders/x', '/api/nosuch/x', '/api/admin-internal/', '/api/nosuch']) {
      const res = await g.request(path)
      expect(res.status, path).toBe(401)
      expect(await res.json()).toMatchObject({ code: 'ERR_UNAUTHENTICATED' })
    }
    const cookie = await g.login('alice')
    expect((await g.request('/api/nosuch/x', { cookie })).status).toBe(404)
  })

  it.each(['PROPFIND', 'PURGE', 'LOCK', 'MKCOL', 'REPORT', 'SEARCH', 'X-CUSTOM'])(
    '%s from another site gets the cross-site 403 before anything else',
    async (method) => {
      const g = await makeGateway({ env: { GATEHOUSE_UPSTREAMS: 'orders=http://127.0.0.1:9' } })
      await g.createUser('alice')
      const cookie = await g.login('alice')
      for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
        const res = await g.request('/api/orders/x', { method, cookie, headers })
        expect(res.status).toBe(403)
        expect(await res.json()).toMatchObject({ code: 'ERR_CROSS_SITE' })
      }
      // The session lives on: a forged request is not a reason to end it.
      expect((await g.request('/auth/session', { cookie })).status).toBe(200)
    },
  )

  it('OPTIONS, GET and HEAD from anywhere are not state changes', async () => {
    const g = await makeGateway()
    await g.createUser('alice')
    const cookie = await g.login('alice')
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const res = await g.request('/auth/session', { method, cookie, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })
      expect(res.status, method).not.toBe(403)
    }
  })
})

describe('Expect: 100-continue is answered only after the checks', () => {
  async function setup() {
    upstream = await startUpstream((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString()}`))
    })
    gw = await startProxyGateway({ upstreams: { echo: upstream.url } })
    return gw
  }

  it('without a session: the final 401 and never a 100; the upstream hears nothing', async () => {
    const g = await setup()
    for (const path of ['/api/echo/upload', '/api/nosuch/upload']) {
      expect(await expectContinue(g.url, path, {}, 'hello')).toEqual(['HTTP/1.1 401 Unauthorized'])
    }
    expect(upstream!.seen).toEqual([])
  })

  it('from another site: the final 403 and never a 100', async () => {
    const g = await setup()
    const cookie = await g.login('alice')
    const lines = await expectContinue(g.url, '/api/echo/upload', { cookie, origin: 'https://evil.example' }, 'hello')
    expect(lines).toEqual(['HTTP/1.1 403 Forbidden'])
    expect(upstream!.seen).toEqual([])
  })

  it('with a session: 100, then the body is proxied', async () => {
    const g = await setup()
    const cookie = await g.login('alice')
    expect(await expectContinue(g.url, '/api/echo/upload', { cookie }, 'hello')).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK'])
    expect(upstream!.seen).toHaveLength(1)
    expect(upstream!.seen[0]!.headers.expect).toBeUndefined()
  })

  it('a login: 100 once the origin is checked, then its answer', async () => {
    const g = await setup()
    await g.login('alice')
    const body = JSON.stringify({ username: 'alice', password: 'wrong password here' })
    const lines = await expectContinue(g.url, '/auth/login', { 'content-type': 'application/json' }, body)
    expect(lines).toEqual(['HTTP/1.1 100 Continue', 'HTTP/1.1 401 Unauthorized'])
  })
})
