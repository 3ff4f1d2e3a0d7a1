import { statSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/env.js'
import { parseCookieSecrets } from '../src/config/cookie-secrets.js'
import { parseUpstreams } from '../src/config/upstreams.js'
import { ConfigError } from '../src/errors.js'
import { tempDir } from './helpers.js'

const STRONG = 'k3y-0123456789-abcdefghijklmnopqrstuvwxyz'
const prod = (env: Record<string, string>) => () =>
  loadConfig({ NODE_ENV: 'production', GATEHOUSE_DATA_DIR: tempDir(), ...env }, tempDir())

function expectConfigError(fn: () => unknown, variable: string, message?: RegExp) {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as ConfigError).variable).toBe(variable)
  expect((caught as ConfigError).message).toContain(variable)
  if (message) expect((caught as ConfigError).message).toMatch(message)
}

describe('production refuses to start on a missing or weak secret, and names it', () => {
  it('missing cookie secret', () => expectConfigError(prod({ GATEHOUSE_MASTER_KEY: STRONG }), 'GATEHOUSE_COOKIE_SECRET', /required/))
  it('missing master key', () => expectConfigError(prod({ GATEHOUSE_COOKIE_SECRET: STRONG }), 'GATEHOUSE_MASTER_KEY', /required/))
  it('short cookie secret', () =>
    expectConfigError(prod({ GATEHOUSE_COOKIE_SECRET: 'short-secret', GATEHOUSE_MASTER_KEY: STRONG }), 'GATEHOUSE_COOKIE_SECRET', /at least 32/))
  it('short master key', () =>
    expectConfigError(prod({ GATEHOUSE_COOKIE_SECRET: STRONG, GATEHOUSE_MASTER_KEY: 'x'.repeat(20) }), 'GATEHOUSE_MASTER_KEY', /at least 32/))
  it('a long but repetitive secret', () =>
    expectConfigError(prod({ GATEHOUSE_COOKIE_SECRET: 'ab'.repeat(32), GATEHOUSE_MASTER_KEY: STRONG }), 'GATEHOUSE_COOKIE_SECRET', /weak/))
  it('a weak older secret in a rotation list', () =>
    expectConfigError(
      prod({ GATEHOUSE_COOKIE_SECRET: `2:${STRONG},1:tooshort`, GATEHOUSE_MASTER_KEY: STRONG }),
      'GATEHOUSE_COOKIE_SECRET (id 1)',
    ))
  it('starts with strong secrets', () => {
    const config = prod({ GATEHOUSE_COOKIE_SECRET: STRONG, GATEHOUSE_MASTER_KEY: STRONG.toUpperCase() })()
    expect(config.production).toBe(true)
    expect(config.cookieSecrets).toEqual([{ id: 1, secret: STRONG }])
  })
})

describe('development defaults', () => {
  it('generates missing secrets once under the data dir with mode 0600, and reuses them', () => {
    const dir = tempDir()
    const first = loadConfig({ GATEHOUSE_DATA_DIR: dir }, dir)
    const second = loadConfig({ GATEHOUSE_DATA_DIR: dir }, dir)
    expect(second.cookieSecrets).toEqual(first.cookieSecrets)
    expect(second.masterKey).toBe(first.masterKey)
    for (const file of ['cookie-secret', 'master-key']) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600)
      expect(readFileSync(join(dir, file), 'utf8').trim()).toHaveLength(64)
    }
    expect(first.database).toEqual({ kind: 'sqlite', path: join(dir, 'data', 'gatehouse.db') })
    expect(first).toMatchObject({ host: '127.0.0.1', port: 8080, publicOrigin: 'http://localhost:8080', secureCookies: false, accessTtlS: 300 })
    expect(first.upstreams.map((u) => u.name)).toEqual(['orders', 'profile'])
  })
})

describe('bad values are clear errors', () => {
  const base = { GATEHOUSE_DATA_DIR: tempDir() }
  it.each([
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'file:' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://[bad' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ GATEHOUSE_PUBLIC_ORIGIN: 'app.example.com' }, 'GATEHOUSE_PUBLIC_ORIGIN'],
    [{ GATEHOUSE_PUBLIC_ORIGIN: 'https://app.example.com/path' }, 'GATEHOUSE_PUBLIC_ORIGIN'],
    [{ GATEHOUSE_ACCESS_TTL: '0' }, 'GATEHOUSE_ACCESS_TTL'],
    [{ GATEHOUSE_ROTATE_GRACE: '311', GATEHOUSE_ROTATE_EVERY: '10' }, 'GATEHOUSE_ROTATE_GRACE'],
    [{ GATEHOUSE_UPSTREAMS: 'orders' }, 'GATEHOUSE_UPSTREAMS'],
    [{ GATEHOUSE_UPSTREAMS: 'orders=ftp://x' }, 'GATEHOUSE_UPSTREAMS'],
    [{ GATEHOUSE_SIGNING_ALG: 'HS256' }, 'GATEHOUSE_SIGNING_ALG'],
    [{ GATEHOUSE_HEADERS_TIMEOUT: '0' }, 'GATEHOUSE_HEADERS_TIMEOUT'],
    [{ GATEHOUSE_HEADERS_TIMEOUT: '20000', GATEHOUSE_REQUEST_TIMEOUT: '10000' }, 'GATEHOUSE_REQUEST_TIMEOUT'],
    [{ GATEHOUSE_KEEP_ALIVE_TIMEOUT: 'forever' }, 'GATEHOUSE_KEEP_ALIVE_TIMEOUT'],
    [{ GATEHOUSE_MAX_CONNECTIONS: '0' }, 'GATEHOUSE_MAX_CONNECTIONS'],
  ])('%o -> names %s', (env, variable) => expectConfigError(() => loadConfig({ ...base, ...env }, base.GATEHOUSE_DATA_DIR), variable))

  it('a rotation grace as long as the period, or longer, is allowed (up to 31 periods)', () => {
    for (const [every, grace] of [['300', '300'], ['300', '600'], ['10', '310'], ['1', '30']]) {
      const c = loadConfig({ ...base, GATEHOUSE_ROTATE_EVERY: every!, GATEHOUSE_ROTATE_GRACE: grace! }, base.GATEHOUSE_DATA_DIR)
      expect([c.rotateEveryS, c.rotateGraceS]).toEqual([Number(every), Number(grace)])
    }
  })

  it('connection limits have defaults and take their variables', () => {
    expect(loadConfig(base, base.GATEHOUSE_DATA_DIR).connections).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 10_000,
    })
    const c = loadConfig(
      { ...base, GATEHOUSE_HEADERS_TIMEOUT: '2000', GATEHOUSE_REQUEST_TIMEOUT: '0', GATEHOUSE_KEEP_ALIVE_TIMEOUT: '65000', GATEHOUSE_MAX_CONNECTIONS: '500' },
      base.GATEHOUSE_DATA_DIR,
    )
    expect(c.connections).toEqual({ headersTimeoutMs: 2000, requestTimeoutMs: 0, keepAliveTimeoutMs: 65_000, maxConnections: 500 })
  })

  it('a https public origin turns on secure cookies', () => {
    const c = loadConfig({ ...base, GATEHOUSE_PUBLIC_ORIGIN: 'https://app.example.com/' }, base.GATEHOUSE_DATA_DIR)
    expect(c).toMatchObject({ publicOrigin: 'https://app.example.com', secureCookies: true })
  })
})

describe('value parsers', () => {
  it('parses cookie secrets newest first, with whole-number ids', () => {
    expect(parseCookieSecrets(`3:${STRONG}a, 1:${STRONG}b`)).toEqual([
      { id: 3, secret: `${STRONG}a` },
      { id: 1, secret: `${STRONG}b` },
    ])
    expect(() => parseCookieSecrets(`k1:${STRONG},1:${STRONG}`)).toThrow(ConfigError)
    expect(() => parseCookieSecrets(`1:${STRONG},1:${STRONG}x`)).toThrow(/twice/)
  })

  it('parses upstreams and strips trailing slashes', () => {
    expect(parseUpstreams('orders=http://127.0.0.1:4001/, billing=https://billing.internal/v2')).toEqual([
      { name: 'orders', url: 'http://127.0.0.1:4001' },
      { name: 'billing', url: 'https://billing.internal/v2' },
    ])
    expect(() => parseUpstreams('Orders=http://x')).toThrow(ConfigError)
    expect(() => parseUpstreams('a=http://x,a=http://y')).toThrow(/twice/)
    expect(() => parseUpstreams('a=http://user:pw@x')).toThrow(/credentials/)
  })
})
