import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { Store, User } from '@gatehouse/store'
import { createGateway, type Gateway } from '../src/app.js'
import { createPasswordHasher, type PasswordHasher } from '../src/auth/passwords.js'
import type { Clock } from '../src/clock.js'
import type { GatewayConfig } from '../src/config/config.js'
import { loadConfig } from '../src/config/env.js'
import { createLogger } from '../src/logging/logger.js'
import { openStore } from '../src/open-store.js'
import type { CliIo } from '../src/cli/io.js'
import { validatingRequest } from './openapi-validator.js'

export const ORIGIN = 'http://localhost:8080'
export const COOKIE_SECRET = 'test-cookie-secret-0123456789-abcdefghij'
export const MASTER_KEY = 'test-master-key-0123456789-abcdefghijklmn'
export const PASSWORD = 'correct horse battery staple'
/** The browser `request` and `login` present; another user agent family is an anomaly. */
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0'

export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  now(): number {
    return this.t
  }
  advance(ms: number): void {
    this.t += ms
  }
}

export function tempDir(prefix = 'gatehouse-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A real config from an environment, with a temp data dir and database file. */
export function testConfig(env: Record<string, string> = {}, dir = tempDir()): GatewayConfig {
  return loadConfig(
    {
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
      GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET,
      GATEHOUSE_MASTER_KEY: MASTER_KEY,
      LOG_LEVEL: 'silent',
      ...env,
    },
    dir,
  )
}

/** Collects log lines, to prove what never reaches them. */
export function logSink() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { lines, stream, text: () => lines.join('') }
}

export interface TestGateway extends Gateway {
  store: Store
  clock: FakeClock
  config: GatewayConfig
  hasher: PasswordHasher
  logs: ReturnType<typeof logSink>
  createUser(username: string, options?: { roles?: string[]; password?: string }): Promise<User>
  /** A request as the browser app sends it: same origin, JSON body. */
  /** `peer`: the socket's remote address, as a proxy in front would connect from. */
  request(path: string, init?: { method?: string; body?: unknown; cookie?: string; headers?: Record<string, string>; peer?: string }): Promise<Response>
  /** Logs in and returns the cookie pair ("name=value") to send back. */
  login(username: string, password?: string, deviceName?: string): Promise<string>
}

export async function makeGateway(
  options: { env?: Record<string, string>; clock?: FakeClock; dir?: string; hasher?: PasswordHasher; apiReference?: boolean; fetch?: typeof fetch; clientIp?: () => string } = {},
): Promise<TestGateway> {
  const dir = options.dir ?? tempDir()
  const config = testConfig({ LOG_LEVEL: 'info', ...options.env }, dir)
  const clock = options.clock ?? new FakeClock()
  // As the gateway opens it: personal fields sealed under the master key.
  const store = await openStore(config)
  const logs = logSink()
  const hasher = options.hasher ?? createPasswordHasher()
  const gateway = createGateway({
    config,
    store,
    clock,
    hasher,
    logger: createLogger('info', logs.stream),
    clientIp: options.clientIp ?? (() => '203.0.113.7'),
    apiReference: options.apiReference ?? false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  // Every response a test receives is checked against the OpenAPI document.
  gateway.app.request = validatingRequest(gateway.app.request)
  // As server.ts does before listening: the first signing key, and the master-key check.
  await gateway.core.keys.init()

  const request: TestGateway['request'] = (path, init = {}) => {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...init.headers }
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    if (method !== 'GET' && method !== 'HEAD' && !('origin' in headers)) headers.origin = config.publicOrigin
    if (init.cookie !== undefined) headers.cookie = init.cookie
    let body: string | undefined
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
      headers['content-type'] ??= 'application/json'
    }
    const env = init.peer === undefined ? undefined : { incoming: { socket: { remoteAddress: init.peer } } }
    return Promise.resolve(gateway.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env))
  }

  return {
    ...gateway,
    store,
    clock,
    config,
    hasher,
    logs,
    request,
    createUser: (username, o = {}) =>
      gateway.core.users.create({ username, password: o.password ?? PASSWORD, roles: o.roles ?? ['user'] }, { actor: 'test' }),
    async login(username, password = PASSWORD, deviceName) {
      const res = await request('/auth/login', { body: { username, password, ...(deviceName ? { deviceName } : {}) } })
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`)
      return cookiePair(res)!
    },
  }
}

/** "name=value" of the session cookie a response sets, or undefined. */
export function cookiePair(res: Response): string | undefined {
  const header = res.headers.getSetCookie().find((h) => h.startsWith('gatehouse=') || h.startsWith('__Host-gatehouse='))
  return header?.split(';')[0]
}

/** The CLI's io on the test data dir: what it prints is collected, stdin is given. */
export function cliIo(dir: string, options: { stdin?: string; env?: Record<string, string> } = {}) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    env: {
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
      GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET,
      GATEHOUSE_MASTER_KEY: MASTER_KEY,
      ...options.env,
    },
    cwd: dir,
    readStdin: async () => options.stdin ?? '',
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  }
  return { io, out, err }
}
