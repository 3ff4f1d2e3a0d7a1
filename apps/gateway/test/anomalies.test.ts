import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import type { AnomalyAction, AnomalyPolicy } from '../src/anomaly/policy.js'
import { createPasswordHasher } from '../src/auth/passwords.js'
import type { GatewayConfig } from '../src/config/config.js'
import { createCore } from '../src/core.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway, type RunningGateway } from '../src/server.js'
import { cookiePair, FakeClock, makeGateway, PASSWORD, tempDir, testConfig, USER_AGENT } from './helpers.js'

const pg = await postgresForTests('gateway anomalies')
afterAll(() => pg.cluster?.stop())

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'
const FIREFOX_LINUX_UPDATED = 'Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0'
const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36'
const HOME = '198.51.100.10'
const HOME_NEIGHBOUR = '198.51.100.77' // same /24
const ELSEWHERE = '203.0.113.50'
const BURST = 3

// Three policies between them give every anomaly every action.
const POLICIES: Record<string, AnomalyPolicy> = {
  P1: { userAgentChange: 'ignore', networkChange: 'flag', forbiddenBurst: { count: BURST, windowS: 60, action: 'revoke' } },
  P2: { userAgentChange: 'flag', networkChange: 'revoke', forbiddenBurst: { count: BURST, windowS: 60, action: 'ignore' } },
  P3: { userAgentChange: 'revoke', networkChange: 'ignore', forbiddenBurst: { count: BURST, windowS: 60, action: 'flag' } },
}
const policyWith = (anomaly: keyof AnomalyPolicy, action: AnomalyAction) =>
  Object.keys(POLICIES).find((name) => {
    const p = POLICIES[name]!
    return (anomaly === 'forbiddenBurst' ? p.forbiddenBurst.action : p[anomaly]) === action
  })!

interface Backend {
  name: string
  skip?: string | undefined
  database(name: string): Promise<GatewayConfig['database'] | undefined>
}

const BACKENDS: Backend[] = [
  { name: 'SQLite', database: async () => undefined },
  {
    name: 'Postgres',
    skip: pg.skipReason,
    database: async (name) => ({ kind: 'postgres', url: await pg.cluster!.createDatabase(name.toLowerCase()) }),
  },
]

/** Two gateways on one store (as behind a load balancer), behind a trusted proxy so the test picks the client address. */
async function twoGateways(backend: Backend, policyName: string) {
  const dir = tempDir('gatehouse-anomalies-')
  const file = join(dir, 'gatehouse.json')
  writeFileSync(file, JSON.stringify({ routes: [{ upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] }], anomalies: POLICIES[policyName] }))
  const base = testConfig({ GATEHOUSE_CONFIG: file, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }, dir)
  const database = await backend.database(`anomalies_${policyName}`)
  const config: GatewayConfig = { ...base, ...(database ? { database } : {}), host: '127.0.0.1', port: 0 }
  const clock = new FakeClock()
  const logger = createLogger('silent')
  const a = await startGateway(config, { clock, logger })
  const b = await startGateway(config, { clock, logger })
  const call = (gw: RunningGateway, path: string, init: { cookie?: string; ua?: string; ip?: string; method?: string; body?: unknown; origin?: string } = {}) => {
    const headers: Record<string, string> = { 'user-agent': init.ua ?? FIREFOX_LINUX, 'x-forwarded-for': init.ip ?? HOME }
    if (init.cookie !== undefined) headers.cookie = init.cookie
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST')
    if (method !== 'GET') headers.origin = init.origin ?? config.publicOrigin
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    return fetch(`${gw.url}${path}`, { method, headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  }
  let users = 0
  const login = async () => {
    const username = `user${++users}`
    await createCore({ config, store: a.store, clock, hasher: createPasswordHasher() }).users.create({ username, password: PASSWORD, roles: ['user'] }, { actor: 'test' })
    const res = await call(a, '/auth/login', { body: { username, password: PASSWORD } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { session: { id: string } }
    return { cookie: cookiePair(res)!, sid: body.session.id }
  }
  const anomalies = async (sid: string) =>
    (await a.store.listAudit({ type: 'session.anomaly' })).filter((e) => e.sessionId === sid).map((e) => e.details)
  const revokedFor = async (sid: string) => (await a.store.findSession(sid))?.revokedReason ?? null
  const metric = async (gw: RunningGateway, anomaly: string, action: string) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    const line = text.split('\n').find((l) => l.startsWith(`gatehouse_session_anomalies_total{anomaly="${anomaly}",action="${action}"}`))
    return line === undefined ? 0 : Number(line.split(' ').pop())
  }
  return {
    a,
    b,
    clock,
    call,
    login,
    anomalies,
    revokedFor,
    metric,
    close: () => Promise.all([a.close(), b.close()]),
  }
}

type Scene = Awaited<ReturnType<typeof twoGateways>>

describe.each(BACKENDS)('the anomaly policy on $name', (backend) => {
  const scenes = new Map<string, Promise<Scene>>()
  const scene = (policy: string) => {
    let s = scenes.get(policy)
    if (s === undefined) scenes.set(policy, (s = twoGateways(backend, policy)))
    return s
  }
  afterAll(async () => {
    for (const s of scenes.values()) await (await s).close()
  })

  describe.skipIf(backend.skip !== undefined)(`${backend.skip ? `(skipped: ${backend.skip})` : ''}`, () => {
    describe('user agent family change (login on A, next request on B)', () => {
      it('ignore: the session goes on, nothing is audited', async () => {
        const s = await scene(policyWith('userAgentChange', 'ignore'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.b, '/auth/session', { cookie, ua: CHROME_WINDOWS })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([])
      })

      it('flag: the session goes on; audited once, counted in /metrics', async () => {
        const s = await scene(policyWith('userAgentChange', 'flag'))
        const { cookie, sid } = await s.login()
        const before = await s.metric(s.b, 'userAgentChange', 'flag')
        expect((await s.call(s.b, '/auth/session', { cookie, ua: CHROME_WINDOWS })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([{ anomalies: ['userAgentChange'], action: 'flag' }])
        expect(await s.metric(s.b, 'userAgentChange', 'flag')).toBe(before + 1)
        // The new family is the baseline now: the same browser again is no new anomaly.
        expect((await s.call(s.a, '/auth/session', { cookie, ua: CHROME_WINDOWS })).status).toBe(200)
        expect(await s.anomalies(sid)).toHaveLength(1)
        expect(await s.revokedFor(sid)).toBeNull()
      })

      it('revoke: 401 at once, and on the other gateway too (reason anomaly)', async () => {
        const s = await scene(policyWith('userAgentChange', 'revoke'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(200) // cached on A
        expect((await s.call(s.b, '/auth/session', { cookie, ua: CHROME_WINDOWS })).status).toBe(401)
        expect(await s.revokedFor(sid)).toBe('anomaly')
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(401)
        expect(await s.anomalies(sid)).toEqual([{ anomalies: ['userAgentChange'], action: 'revoke' }])
        expect(await s.metric(s.b, 'userAgentChange', 'revoke')).toBeGreaterThanOrEqual(1)
      })

      it('a browser update (same browser and system, new version) is no change', async () => {
        const s = await scene(policyWith('userAgentChange', 'revoke'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.b, '/auth/session', { cookie, ua: FIREFOX_LINUX_UPDATED })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([])
      })
    })

    describe('client network change', () => {
      it('ignore: the session goes on, nothing is audited', async () => {
        const s = await scene(policyWith('networkChange', 'ignore'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.b, '/auth/session', { cookie, ip: ELSEWHERE })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([])
      })

      it('flag: audited once, counted; the same /24 is no change', async () => {
        const s = await scene(policyWith('networkChange', 'flag'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.b, '/auth/session', { cookie, ip: HOME_NEIGHBOUR })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([])
        const before = await s.metric(s.b, 'networkChange', 'flag')
        expect((await s.call(s.b, '/auth/session', { cookie, ip: ELSEWHERE })).status).toBe(200)
        expect((await s.call(s.a, '/auth/session', { cookie, ip: ELSEWHERE })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([{ anomalies: ['networkChange'], action: 'flag' }])
        expect(await s.metric(s.b, 'networkChange', 'flag')).toBe(before + 1)
        // What the flagged request came from is in the event, decrypted for the admin.
        const [event] = (await s.a.store.listAudit({ type: 'session.anomaly' })).filter((e) => e.sessionId === sid)
        expect(event).toMatchObject({ clientIp: ELSEWHERE, userAgent: FIREFOX_LINUX })
      })

      it('revoke: 401 at once, and on the other gateway too (reason anomaly)', async () => {
        const s = await scene(policyWith('networkChange', 'revoke'))
        const { cookie, sid } = await s.login()
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(200)
        expect((await s.call(s.b, '/auth/session', { cookie, ip: '2001:db8:1:2::5' })).status).toBe(401)
        expect(await s.revokedFor(sid)).toBe('anomaly')
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(401)
        expect(await s.anomalies(sid)).toEqual([{ anomalies: ['networkChange'], action: 'revoke' }])
      })
    })

    describe(`forbidden burst (${BURST} refusals of a role-guarded route within 60 s)`, () => {
      const forbidden = (s: Scene, gw: RunningGateway, cookie: string) => s.call(gw, '/api/orders/admin/users', { cookie })

      it('ignore: any number of refusals, the session goes on', async () => {
        const s = await scene(policyWith('forbiddenBurst', 'ignore'))
        const { cookie, sid } = await s.login()
        for (let i = 0; i < BURST * 2; i++) expect((await forbidden(s, s.a, cookie)).status).toBe(403)
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(200)
        expect(await s.anomalies(sid)).toEqual([])
      })

      it('flag: audited when the burst is reached, counted, the session goes on', async () => {
        const s = await scene(policyWith('forbiddenBurst', 'flag'))
        const { cookie, sid } = await s.login()
        const before = await s.metric(s.a, 'forbiddenBurst', 'flag')
        for (let i = 0; i < BURST; i++) expect((await forbidden(s, s.a, cookie)).status).toBe(403)
        expect(await s.anomalies(sid)).toEqual([{ anomalies: ['forbiddenBurst'], action: 'flag', count: BURST, windowS: 60 }])
        expect(await s.metric(s.a, 'forbiddenBurst', 'flag')).toBe(before + 1)
        expect((await s.call(s.b, '/auth/session', { cookie })).status).toBe(200)
      })

      it('revoke: the next request is refused on both gateways (reason anomaly)', async () => {
        const s = await scene(policyWith('forbiddenBurst', 'revoke'))
        const { cookie, sid } = await s.login()
        for (let i = 0; i < BURST - 1; i++) expect((await forbidden(s, s.a, cookie)).status).toBe(403)
        expect((await s.call(s.b, '/auth/session', { cookie })).status).toBe(200)
        expect((await forbidden(s, s.a, cookie)).status).toBe(403)
        expect(await s.revokedFor(sid)).toBe('anomaly')
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(401)
        expect((await s.call(s.b, '/auth/session', { cookie })).status).toBe(401)
      })

      it('refusals spread wider than the window do not add up', async () => {
        const s = await scene(policyWith('forbiddenBurst', 'revoke'))
        const { cookie, sid } = await s.login()
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < BURST - 1; i++) expect((await forbidden(s, s.a, cookie)).status).toBe(403)
          s.clock.advance(61_000)
        }
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(200)
        expect(await s.revokedFor(sid)).toBeNull()
      })

      it('cross-site refusals never count: a forging site cannot end the session', async () => {
        const s = await scene(policyWith('forbiddenBurst', 'revoke'))
        const { cookie, sid } = await s.login()
        for (let i = 0; i < BURST * 3; i++) {
          const res = await s.call(s.a, '/api/orders/admin/users', { cookie, method: 'POST', body: {}, origin: 'https://evil.example' })
          expect(res.status).toBe(403)
          expect(((await res.json()) as { code: string }).code).toBe('ERR_CROSS_SITE')
        }
        expect((await s.call(s.a, '/auth/session', { cookie })).status).toBe(200)
        expect(await s.revokedFor(sid)).toBeNull()
        expect(await s.anomalies(sid)).toEqual([])
      })
    })
  })
})

describe('flags in the admin API', () => {
  it('GET /admin/users/:id/sessions lists what was flagged on each session, decrypted', async () => {
    let ip = HOME
    const gw = await makeGateway({ clientIp: () => ip })
    const alice = await gw.createUser('alice')
    await gw.createUser('root', { roles: ['admin', 'user'] })
    const cookie = await gw.login('alice')
    const calm = await gw.login('alice', PASSWORD, 'Calm device')
    const admin = await gw.login('root')
    ip = ELSEWHERE
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200) // network change: flag (default)
    const res = await gw.request(`/admin/users/${alice.id}/sessions`, { cookie: admin })
    const { sessions } = (await res.json()) as { sessions: Array<{ deviceName: string; anomalies: unknown[] }> }
    const flagged = sessions.find((s) => s.deviceName !== 'Calm device')!
    expect(flagged.anomalies).toEqual([{ at: expect.any(String), anomalies: ['networkChange'], action: 'flag', clientIp: ELSEWHERE, userAgent: USER_AGENT }])
    expect(sessions.find((s) => s.deviceName === 'Calm device')!.anomalies).toEqual([])
    expect(calm).toBeDefined()
  })
})

describe('parallel requests from a new network or browser', () => {
  it('raise one flag, not one each; a revocation is reported once', async () => {
    let ip = HOME
    const gw = await makeGateway({ clientIp: () => ip })
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice')
    ip = ELSEWHERE
    const answers = await Promise.all(Array.from({ length: 20 }, () => gw.request('/auth/session', { cookie })))
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(await gw.store.listAudit({ userId: alice.id, type: 'session.anomaly' })).toHaveLength(1)

    const other = await gw.login('alice')
    const revoked = await Promise.all(Array.from({ length: 20 }, () => gw.request('/auth/session', { cookie: other, headers: { 'user-agent': CHROME_WINDOWS } })))
    expect(revoked.map((r) => r.status)).toEqual(Array(20).fill(401))
    const events = await gw.store.listAudit({ userId: alice.id, type: 'session.anomaly' })
    expect(events.filter((e) => e.details.action === 'revoke')).toHaveLength(1)
    expect((await gw.store.listAudit({ userId: alice.id, type: 'session.revoked' })).filter((e) => e.details.reason === 'anomaly')).toHaveLength(1)
  })
})
