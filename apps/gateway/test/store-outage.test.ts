import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { cookiePair, logSink, PASSWORD, testConfig } from './helpers.js'
import { startUpstream, type TestUpstream } from './proxy-helpers.js'

const pg = await postgresForTests('gateway store outage')

// A real gateway on a real Postgres that is stopped under it, then started again.
describe.skipIf(pg.cluster === undefined)(`while Postgres is down${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  let gw: RunningGateway
  let upstream: TestUpstream
  const logs = logSink()
  let origin: string

  beforeAll(async () => {
    const url = await pg.cluster!.createDatabase('outage')
    upstream = await startUpstream((req, res) => {
      req.resume()
      res.end('ok')
    })
    const config = { ...testConfig({ GATEHOUSE_UPSTREAMS: `echo=${upstream.url}` }), database: { kind: 'postgres' as const, url }, port: 0 }
    origin = config.publicOrigin
    gw = await startGateway(config, { logger: createLogger('info', logs.stream) })
    await gw.gateway.core.users.create({ username: 'alice', password: PASSWORD, roles: ['user', 'admin'] }, { actor: 'test' })
  })
  afterAll(async () => {
    await gw?.close(0)
    await upstream?.close()
    await pg.cluster?.stop()
  })

  const call = (path: string, init: { method?: string; cookie?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = { origin }
    if (init.cookie) headers.cookie = init.cookie
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${gw.url}${path}`, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  }
  const login = async () => cookiePair(await call('/auth/login', { method: 'POST', body: { username: 'alice', password: PASSWORD } }))!

  it('every route that needs the store answers 503 with Retry-After and its own code, logs one line without a stack, counts it; all is well after', async () => {
    const cookie = await login()
    expect((await call('/api/echo/x', { cookie })).status).toBe(200)
    await pg.cluster!.pause()
    try {
      const requests: [string, { method?: string; cookie?: string; body?: unknown }][] = [
        ['/auth/session', { cookie }],
        ['/auth/sessions', { cookie }],
        ['/api/echo/x', { cookie }],
        ['/api/echo/x', { method: 'POST', cookie, body: { a: 1 } }],
        ['/api/nosuch/x', { cookie }],
        ['/admin/users', { cookie }],
        ['/auth/login', { method: 'POST', body: { username: 'alice', password: PASSWORD } }],
        ['/auth/login', { method: 'POST', body: { username: 'nobody', password: 'wrong password' } }],
        ['/auth/password', { method: 'POST', cookie, body: { currentPassword: PASSWORD, newPassword: 'another long passphrase' } }],
        ['/auth/sessions', { method: 'DELETE', cookie }],
        ['/auth/logout', { method: 'POST', cookie }],
      ]
      // Many at once, as real traffic would arrive during the outage.
      const answers = await Promise.all(Array.from({ length: 5 }, () => requests.map(([path, init]) => call(path, init))).flat())
      for (const res of answers) {
        expect(res.status, res.url).toBe(503)
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
        expect(res.headers.get('content-type')).toBe('application/problem+json')
        expect(await res.json()).toMatchObject({ status: 503, code: 'ERR_STORE_UNAVAILABLE' })
      }
      expect((await call('/readyz')).status).toBe(503)
      expect((await call('/healthz')).status).toBe(200)
      const metrics = await call('/metrics')
      expect(metrics.status).toBe(200)
      const counted = Number(/^gatehouse_store_unavailable_total (\d+)$/m.exec(await metrics.text())?.[1])
      expect(counted).toBe(answers.length)

      const lines = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
      const outage = lines.filter((l) => l.msg === 'store unavailable')
      expect(outage).toHaveLength(answers.length)
      for (const line of outage) {
        expect(line).toMatchObject({ level: 40, code: 'ERR_STORE_UNAVAILABLE' })
        expect(line.reason).toMatch(/^postgres store: \w+ failed/)
        expect(line.requestId).toEqual(expect.any(String))
      }
      expect(logs.text()).not.toMatch(/"stack"|unhandled error|"level":50/)
      expect(lines.filter((l) => l.msg === 'request' && l.status === 500)).toEqual([])
    } finally {
      await pg.cluster!.resume()
    }
    // Back: the same cookie still works (nothing was revoked while the store was away).
    let back: Response | undefined
    for (let i = 0; i < 50 && back?.status !== 200; i++) {
      back = await call('/auth/session', { cookie })
      if (back.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(back!.status).toBe(200)
    expect((await call('/api/echo/x', { cookie })).status).toBe(200)
  })
})
