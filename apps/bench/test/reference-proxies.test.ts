import http, { type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nginxMissing } from '../../gateway/test/nginx.js'
import { startBareProxy } from '../src/bare-proxy.js'
import { runLoad } from '../src/load.js'
import { startNginxProxy, type NginxProxy } from '../src/nginx-proxy.js'
import { processTreeCpuUs } from '../src/proc-cpu.js'

/** An upstream that answers what it received, with hop-by-hop headers of its own; `/big` streams 8 MiB. */
async function startEcho(): Promise<{ url: string; server: Server }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const chunk = Buffer.alloc(64 * 1024, 7)
      for (let i = 0; i < 128; i++) res.write(chunk)
      return void res.end()
    }
    let bytes = 0
    req.on('data', (d: Buffer) => (bytes += d.length))
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-end-to-end': 'kept', 'x-named-in-connection': 'dropped', connection: 'keep-alive, x-named-in-connection', 'keep-alive': 'timeout=60' })
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bytes }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** node:http, which (unlike fetch) sends any header, hop-by-hop ones included. */
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.once('error', reject)
    req.end(options.body)
  })
}

describe('the bare proxy (the baseline of issue 12, goal 1)', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>
  let bare: Awaited<ReturnType<typeof startBareProxy>>
  beforeAll(async () => {
    echo = await startEcho()
    bare = await startBareProxy(echo.url)
  })
  afterAll(() => {
    bare.server.closeAllConnections()
    bare.server.close()
    bare.close()
    echo.server.closeAllConnections()
    echo.server.close()
  })

  it('forwards method, path under /api/bench and query, and end-to-end headers; drops hop-by-hop ones both ways', async () => {
    const res = await request(`${bare.url}/api/bench/items/42?x=1&y=2`, {
      headers: { cookie: 'a=b', 'x-custom': 'yes', connection: 'keep-alive, x-named-in-connection', 'x-named-in-connection': '1', te: 'trailers', 'proxy-authorization': 'Basic eA==' },
    })
    expect(res.status).toBe(201)
    const seen = JSON.parse(res.body.toString()) as { method: string; url: string; headers: IncomingHttpHeaders }
    expect(seen.method).toBe('GET')
    expect(seen.url).toBe('/items/42?x=1&y=2')
    expect(seen.headers).toMatchObject({ cookie: 'a=b', 'x-custom': 'yes', host: new URL(echo.url).host })
    expect(seen.headers).not.toHaveProperty('x-named-in-connection')
    expect(seen.headers).not.toHaveProperty('te')
    expect(seen.headers).not.toHaveProperty('proxy-authorization')
    expect(res.headers['x-end-to-end']).toBe('kept')
    expect(res.headers).not.toHaveProperty('x-named-in-connection')
    expect(res.headers['keep-alive']).not.toBe('timeout=60')
  })

  it('streams request and response bodies through', async () => {
    const body = Buffer.alloc(300_000, 1)
    const up = await request(`${bare.url}/api/bench/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })
    expect(JSON.parse(up.body.toString())).toMatchObject({ method: 'POST', bytes: body.length })
    const down = await request(`${bare.url}/api/bench/big`)
    expect(down.status).toBe(200)
    expect(down.body.length).toBe(8 * 1024 * 1024)
  })

  it('answers only /api/bench/*', async () => {
    expect((await request(`${bare.url}/elsewhere`)).status).toBe(404)
  })

  it('shares no code with the gateway', () => {
    const source = readFileSync(new URL('../src/bare-proxy.ts', import.meta.url), 'utf8')
    const imports = [...source.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1])
    expect(imports).toEqual(['node:http', 'node:net', 'node:stream', 'node:stream/web', '@hono/node-server', 'hono'])
  })

  it('answers 502 when the upstream is gone', async () => {
    const gone = await startEcho()
    const proxy = await startBareProxy(gone.url)
    gone.server.closeAllConnections()
    await new Promise((resolve) => gone.server.close(resolve))
    try {
      expect((await request(`${proxy.url}/api/bench/items/42`)).status).toBe(502)
    } finally {
      proxy.server.close()
      proxy.close()
    }
  })
})

const missing = nginxMissing()
if (missing !== undefined && (process.env.CI === 'true' || process.env.CI === '1')) throw new Error(`nginx is required under CI, but ${missing}`)
if (missing !== undefined) console.warn(`[reference-proxies] skipping the nginx row: ${missing}`)

describe.skipIf(missing !== undefined)("the nginx reference row's proxy", () => {
  let echo: Awaited<ReturnType<typeof startEcho>>
  let nginx: NginxProxy
  beforeAll(async () => {
    echo = await startEcho()
    const started = await startNginxProxy(echo.url, echo.url)
    if (started.skipReason !== undefined) throw new Error(started.skipReason)
    nginx = started.nginx
  })
  afterAll(async () => {
    await nginx?.stop()
    echo.server.closeAllConnections()
    echo.server.close()
  })

  it('proxies /api/bench/ to the upstream and counts the CPU of its master and worker', async () => {
    expect(nginx.version).toMatch(/^nginx\/\d/)
    const res = await request(`${nginx.url}/api/bench/items/42?x=1`)
    expect(res.status).toBe(201)
    expect(JSON.parse(res.body.toString())).toMatchObject({ url: '/items/42?x=1' })
    const before = nginx.cpuUs()
    const load = await runLoad({ url: nginx.url, connections: 10, amount: 20_000, requests: [{ path: '/api/bench/items/42' }] })
    expect(load.ok).toBe(20_000)
    // 20,000 proxied requests take the worker well over one 10 ms clock tick.
    expect(nginx.cpuUs() - before).toBeGreaterThan(10_000)
  })

  it('leaves no nginx process behind once stopped', async () => {
    const started = await startNginxProxy(echo.url, echo.url)
    if (started.skipReason !== undefined) throw new Error(started.skipReason)
    expect(started.nginx.cpuUs()).toBeGreaterThanOrEqual(0)
    await started.nginx.stop()
    expect(() => started.nginx.cpuUs()).toThrow(/gone/)
  })
})

describe('CPU of a process tree from /proc', () => {
  it('counts the work of the process, and is undefined for no process', () => {
    const before = processTreeCpuUs(process.pid)!
    // 200 ms of this process's own CPU (not wall time: the machine may be shared).
    const start = process.cpuUsage()
    let x = 0
    while (process.cpuUsage(start).user < 200_000) for (let i = 0; i < 100_000; i++) x += Math.sqrt(i)
    expect(x).toBeGreaterThan(0)
    // /proc counts in 10 ms ticks.
    expect(processTreeCpuUs(process.pid)! - before).toBeGreaterThanOrEqual(180_000)
    expect(processTreeCpuUs(2 ** 22 + 1)).toBeUndefined()
  })
})
