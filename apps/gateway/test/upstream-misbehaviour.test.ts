import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { json, rawRequest, startProxyGateway, type ProxyGateway } from './proxy-helpers.js'

let gw: ProxyGateway | undefined
let server: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  await gw?.close(0)
  for (const s of sockets) s.destroy()
  sockets.clear()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  gw = server = undefined
})

/** An upstream that answers every request with exactly these bytes, then holds the connection open. */
async function rawUpstream(answer: string): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('data', () => socket.write(Buffer.from(answer, 'latin1')))
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The status the client got, what the access log says of it, and what /metrics counted. */
async function outcome(g: ProxyGateway, path: string, cookie: string) {
  const res = await rawRequest(g.url, path, { headers: { cookie } })
  const lines = g.logs.lines.map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number })
  const logged = lines.filter((l) => l.msg === 'request' && l.path === path).map((l) => l.status)
  const metrics = await (await fetch(`${g.url}/metrics`)).text()
  return { res, logged, metrics }
}

const cases: [string, string, number, string][] = [
  ['101 Switching Protocols to a plain request', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 502, 'ERR_UPSTREAM_UNREACHABLE'],
  ['a bare 101 without Upgrade', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', 502, 'ERR_UPSTREAM_UNREACHABLE'],
  ['a 100 Continue and then nothing', 'HTTP/1.1 100 Continue\r\n\r\n', 504, 'ERR_UPSTREAM_TIMEOUT'],
]

describe('an upstream that misbehaves still gives the client a well-formed answer in time', () => {
  it.each(cases)('%s: %#', async (_, answer, status, code) => {
    gw = await startProxyGateway({ upstreams: { bad: await rawUpstream(answer) }, env: { GATEHOUSE_UPSTREAM_TIMEOUT: '500' } })
    const cookie = await gw.login('alice')
    const { res, logged, metrics } = await outcome(gw, '/api/bad/x', cookie)
    expect(res.status).toBe(status)
    expect(json(res)).toMatchObject({ code })
    expect(logged).toEqual([status])
    expect(metrics).toContain(`gatehouse_http_requests_total{route_class="api",status="${status}"} 1`)
  })

  it.each([
    ['a control character', 'O\x01K'],
    ['an escape sequence', '\x1b[31mred'],
    ['DEL', 'OK\x7f'],
    ['Latin-1 bytes', 'Tr\xe8s bien'],
  ])('a reason phrase with %s: the status passes, the phrase does not, the log agrees', async (_, reason) => {
    gw = await startProxyGateway({ upstreams: { bad: await rawUpstream(`HTTP/1.1 201 ${reason}\r\nContent-Length: 2\r\n\r\nok`) } })
    const cookie = await gw.login('alice')
    const { res, logged, metrics } = await outcome(gw, '/api/bad/x', cookie)
    expect(res.status).toBe(201)
    expect(res.body.toString()).toBe('ok')
    expect(logged).toEqual([201])
    expect(metrics).toContain('gatehouse_http_requests_total{route_class="api",status="201"} 1')
  })
})
