import { writeFileSync } from 'node:fs'
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Clock } from '../src/clock.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { logSink, PASSWORD, tempDir, testConfig } from './helpers.js'

/** What an upstream saw of one request. */
export interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The gateway's end of the connection: equal across requests when it was kept alive. */
  remotePort: number
}

export interface TestUpstream {
  url: string
  port: number
  seen: SeenRequest[]
  close(): Promise<void>
}

/** A plain node:http server on 127.0.0.1 standing in for a backend service; records every request. */
export async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestUpstream> {
  const seen: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, remotePort: req.socket.remotePort! })
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface ProxyGateway extends RunningGateway {
  logs: ReturnType<typeof logSink>
  /** Creates the user and logs in through the gateway's HTTP API; returns "name=value". */
  login(username: string, roles?: string[]): Promise<string>
}

/**
 * The real gateway, listening on 127.0.0.1:0, proxying to `upstreams`; `routes` becomes the
 * GATEHOUSE_CONFIG file.
 */
export async function startProxyGateway(options: {
  upstreams: Record<string, string>
  routes?: unknown[]
  /** The `anomalies` object of the GATEHOUSE_CONFIG file. */
  anomalies?: unknown
  env?: Record<string, string>
  clock?: Clock
}): Promise<ProxyGateway> {
  const dir = tempDir('gatehouse-proxy-')
  const env: Record<string, string> = {
    GATEHOUSE_UPSTREAMS: Object.entries(options.upstreams).map(([name, url]) => `${name}=${url}`).join(','),
    ...options.env,
  }
  if (options.routes !== undefined || options.anomalies !== undefined) {
    const file = join(dir, 'gatehouse.json')
    writeFileSync(file, JSON.stringify({ routes: options.routes ?? [], ...(options.anomalies === undefined ? {} : { anomalies: options.anomalies }) }, null, 2))
    env.GATEHOUSE_CONFIG = file
  }
  const config = { ...testConfig(env, dir), host: '127.0.0.1', port: 0 }
  const logs = logSink()
  const running = await startGateway(config, { logger: createLogger('info', logs.stream), ...(options.clock ? { clock: options.clock } : {}) })
  return {
    ...running,
    logs,
    async login(username, roles = ['user']) {
      await running.gateway.core.users.create({ username, password: PASSWORD, roles }, { actor: 'test' })
      const res = await fetch(`${running.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      })
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
      const cookie = res.headers.getSetCookie()[0]
      if (cookie === undefined) throw new Error('login set no cookie')
      return cookie.split(';')[0]!
    },
  }
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * One request with node:http, which sends the path byte for byte (fetch would normalise `..`
 * and backslashes before the gateway ever saw them). A fresh connection each time.
 */
export function rawRequest(
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

export const json = (res: RawResponse) => JSON.parse(res.body.toString('utf8')) as Record<string, unknown>

/** Resolves on the first event of the emitter. */
export function once<T = void>(emitter: { once(event: string, listener: (value: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve))
}
