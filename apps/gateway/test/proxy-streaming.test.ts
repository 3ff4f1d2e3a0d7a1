import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGateway, USER_AGENT } from './helpers.js'
import { once, rawRequest, startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

const MB = 1024 * 1024
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

let upstream: TestUpstream
let gw: ProxyGateway | undefined
afterEach(async () => {
  await gw?.close(0)
  gw = undefined
  await upstream?.close()
})

/** Hashes whatever it receives; streams back `download` when asked; echoes on /echo. */
function bodyUpstream(download: Buffer) {
  return startUpstream((req, res) => {
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      req.pipe(res)
      return
    }
    if (req.url === '/download') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': download.length })
      res.end(download)
      return
    }
    const hash = createHash('sha256')
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      hash.update(chunk)
    })
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }))
    })
  })
}

/** Sends `body` in 64 KiB writes, with or without a Content-Length; collects the answer. */
function upload(url: string, path: string, cookie: string, body: Buffer, chunked: boolean) {
  const target = new URL(url)
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const headers: Record<string, string> = { cookie, 'content-type': 'application/octet-stream' }
    if (!chunked) headers['content-length'] = String(body.length)
    const req = http.request({ host: target.hostname, port: target.port, path, method: 'PUT', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    let offset = 0
    const pump = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 64 * 1024)
        offset += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

describe('proxy bodies', () => {
  it('carries several MB intact in both directions, with and without Content-Length', async () => {
    const download = randomBytes(12 * MB)
    upstream = await bodyUpstream(download)
    gw = await startProxyGateway({ upstreams: { files: upstream.url } })
    const cookie = await gw.login('alice')
    const payload = randomBytes(9 * MB + 123)

    for (const chunked of [false, true]) {
      const res = await upload(gw.url, '/api/files/upload', cookie, payload, chunked)
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body.toString())).toEqual({ bytes: payload.length, sha256: sha256(payload) })
    }
    const down = await rawRequest(gw.url, '/api/files/download', { headers: { cookie } })
    expect(down.status).toBe(200)
    expect(down.body.length).toBe(download.length)
    expect(sha256(down.body)).toBe(sha256(download))

    const echo = await upload(gw.url, '/api/files/echo', cookie, payload, true)
    expect(echo.status).toBe(200)
    expect(sha256(echo.body)).toBe(sha256(payload))
  })

  it('streams the same way without a node socket (app.request: web streams both ways)', async () => {
    const download = randomBytes(3 * MB)
    upstream = await bodyUpstream(download)
    const app = await makeGateway({ env: { GATEHOUSE_UPSTREAMS: `files=${upstream.url}` } })
    await app.createUser('alice')
    const cookie = await app.login('alice')
    const payload = randomBytes(5 * MB)
    const up = await app.app.request('/api/files/upload', { method: 'PUT', body: payload, headers: { cookie, 'content-type': 'application/octet-stream', 'user-agent': USER_AGENT } })
    expect(up.status).toBe(200)
    expect(await up.json()).toEqual({ bytes: payload.length, sha256: sha256(payload) })
    const down = await app.request('/api/files/download', { cookie })
    expect(sha256(Buffer.from(await down.arrayBuffer()))).toBe(sha256(download))
  })
})

describe('proxy streaming', () => {
  it('hands the client the first bytes of a response before the upstream has finished it', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let finished = false
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first chunk\n')
      void released.then(() => {
        finished = true
        res.end('the rest\n')
      })
    })
    gw = await startProxyGateway({ upstreams: { slow: upstream.url } })
    const cookie = await gw.login('alice')

    const target = new URL(gw.url)
    const req = http.get({ host: target.hostname, port: target.port, path: '/api/slow/feed', headers: { cookie }, agent: false })
    const res = await once<http.IncomingMessage>(req, 'response')
    expect(res.statusCode).toBe(200)
    const first = await once<Buffer>(res, 'data')
    expect(first.toString()).toBe('first chunk\n')
    expect(finished).toBe(false)
    const rest: Buffer[] = []
    res.on('data', (c: Buffer) => rest.push(c))
    release()
    await once(res, 'end')
    expect(Buffer.concat(rest).toString()).toBe('the rest\n')
  })

  it('hands the upstream the first bytes of a request body before the client has finished it', async () => {
    upstream = await startUpstream((req, res) => {
      let bytes = 0
      req.once('data', () => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('got the first bytes\n')
      })
      req.on('data', (c: Buffer) => (bytes += c.length))
      req.on('end', () => res.end(`total ${bytes}\n`))
    })
    gw = await startProxyGateway({ upstreams: { sink: upstream.url } })
    const cookie = await gw.login('alice')

    const target = new URL(gw.url)
    const req = http.request({ host: target.hostname, port: target.port, path: '/api/sink/in', method: 'POST', headers: { cookie }, agent: false })
    req.write('hello ')
    // The answer arrives while the request body is still open: nothing buffered it whole.
    const res = await once<http.IncomingMessage>(req, 'response')
    const first = await once<Buffer>(res, 'data')
    expect(first.toString()).toBe('got the first bytes\n')
    expect(req.writableEnded).toBe(false)
    const rest: Buffer[] = []
    res.on('data', (c: Buffer) => rest.push(c))
    req.end('world')
    await once(res, 'end')
    expect(Buffer.concat(rest).toString()).toBe('total 11\n')
  })

  it('aborts the upstream request when the client goes away while waiting for the answer', async () => {
    let arrived!: (res: http.ServerResponse) => void
    const arrival = new Promise<http.ServerResponse>((resolve) => (arrived = resolve))
    upstream = await startUpstream((_req, res) => arrived(res)) // never answers
    gw = await startProxyGateway({ upstreams: { hang: upstream.url } })
    const cookie = await gw.login('alice')

    const target = new URL(gw.url)
    const req = http.get({ host: target.hostname, port: target.port, path: '/api/hang/wait', headers: { cookie }, agent: false })
    req.on('error', () => {})
    const upstreamRes = await arrival
    const closed = once(upstreamRes, 'close')
    req.destroy()
    await closed
    expect(upstreamRes.writableEnded).toBe(false)
  })

  it('aborts the upstream request when the client goes away in the middle of its upload', async () => {
    let arrived!: (req: http.IncomingMessage) => void
    const arrival = new Promise<http.IncomingMessage>((resolve) => (arrived = resolve))
    upstream = await startUpstream((req) => req.once('data', () => arrived(req))) // reads, never answers
    gw = await startProxyGateway({ upstreams: { sink: upstream.url } })
    const cookie = await gw.login('alice')

    const target = new URL(gw.url)
    const req = http.request({ host: target.hostname, port: target.port, path: '/api/sink/in', method: 'PUT', headers: { cookie }, agent: false })
    req.on('error', () => {})
    req.write(Buffer.alloc(1024))
    const upstreamReq = await arrival
    const closed = once(upstreamReq, 'close')
    req.destroy()
    await closed
    expect(upstreamReq.complete).toBe(false)
    await expect.poll(() => gw!.logs.text()).toMatch(/"status":499/)
    expect(gw.logs.text()).not.toContain('unhandled error')
  })

  it('aborts the upstream response when the client goes away in the middle of the body', async () => {
    let arrived!: (res: http.ServerResponse) => void
    const arrival = new Promise<http.ServerResponse>((resolve) => (arrived = resolve))
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.write(Buffer.alloc(1024, 1))
      arrived(res) // and never ends
    })
    gw = await startProxyGateway({ upstreams: { hang: upstream.url } })
    const cookie = await gw.login('alice')

    const target = new URL(gw.url)
    const req = http.get({ host: target.hostname, port: target.port, path: '/api/hang/stream', headers: { cookie }, agent: false })
    req.on('error', () => {})
    const res = await once<http.IncomingMessage>(req, 'response')
    res.on('error', () => {})
    await once(res, 'data')
    const upstreamRes = await arrival
    const closed = once(upstreamRes, 'close')
    req.destroy()
    await closed
    expect(upstreamRes.writableEnded).toBe(false)
  })
})

