import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresForTests } from '@gatehouse/store-postgres/testing'
import { loadConfig } from '../src/config/env.js'
import { MAX_WORKERS, parseWorkers } from '../src/config/workers.js'
import { ConfigError } from '../src/errors.js'
import { tempDir } from './helpers.js'
import { REPO_ROOT, spawnTs } from './process.js'
import { send, sessionMaker, setCookiePair, startWorkersProcess, workersEnv, type WorkersProcess } from './workers-helpers.js'

const pg = await postgresForTests('gateway workers')

describe('GATEHOUSE_WORKERS', () => {
  it.each(['0', '-1', '1.5', 'two', '2 workers', 'AUTO ', String(MAX_WORKERS + 1)])('refuses %j, naming the variable', (value) => {
    const error = (() => {
      try {
        parseWorkers(value)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe('GATEHOUSE_WORKERS')
  })

  it('is 1 by default, a count as given, and auto is one per core', () => {
    const dir = tempDir()
    expect(loadConfig({ GATEHOUSE_DATA_DIR: dir }, dir).workers).toBe(1)
    expect(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_WORKERS: '3' }, dir).workers).toBe(3)
    expect(loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_WORKERS: 'auto' }, dir).workers).toBe(availableParallelism())
    expect(parseWorkers('auto', () => 6)).toBe(6)
  })

  it('a bad value stops `pnpm gateway` before anything listens, with the variable named', async () => {
    const dir = tempDir()
    const proc = spawnTs(join(REPO_ROOT, 'apps/gateway/src/main.ts'), [], { ...workersEnv(dir), GATEHOUSE_WORKERS: 'lots', PORT: '0' })
    expect(await proc.exited).toBe(1)
    expect(proc.stderr()).toMatch(/configuration error: GATEHOUSE_WORKERS: "lots" is not a positive integer or "auto"/)
    expect(proc.stdout()).not.toMatch(/listening/)
  })
})

/** "Revoke on one worker, request on the other", back to back, both ways, over pinned connections. */
async function revocationsAcrossWorkers(gw: WorkersProcess, env: Record<string, string>, dir: string, rounds: number): Promise<void> {
  const maker = await sessionMaker(env, dir)
  try {
    const agents = [...(await gw.pinnedAgents()).values()]
    let leaks = 0
    for (let i = 0; i < rounds; i++) {
      const [here, there] = i % 2 === 0 ? [agents[0]!, agents[1]!] : [agents[1]!, agents[0]!]
      const cookie = await maker.session()
      // Both workers have the session in their caches before it ends.
      expect((await send(gw.url, '/auth/session', { agent: there, cookie })).status).toBe(200)
      expect((await send(gw.url, '/auth/session', { agent: here, cookie })).status).toBe(200)
      expect((await send(gw.url, '/auth/logout', { agent: here, cookie, method: 'POST' })).status).toBe(204)
      if ((await send(gw.url, '/auth/session', { agent: there, cookie })).status !== 401) leaks++
    }
    expect(leaks).toBe(0)
  } finally {
    await maker.close()
  }
}

describe('two workers on one SQLite file', () => {
  const dir = tempDir()
  const env = workersEnv(dir, { GATEHOUSE_ROTATE_EVERY: '2', GATEHOUSE_ROTATE_GRACE: '5', GATEHOUSE_OPS_ADDRESS: '127.0.0.1:0' })
  let gw: WorkersProcess

  beforeAll(async () => {
    gw = await startWorkersProcess(env)
  }, 60_000)
  afterAll(async () => {
    await gw?.stop()
  })

  it('serve one port: connections are handed to both workers', async () => {
    expect(gw.workerPids).toHaveLength(2)
    expect(gw.workerPids).not.toContain(gw.child.pid)
    // On an empty store: the first worker made the first signing key alone, the other found it.
    const keys = gw.lines('signing key ready')
    expect(keys.map((k) => k.created).sort()).toEqual([false, true])
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1)
    const served = new Set<number>()
    for (let i = 0; i < 12; i++) {
      const reply = await send(gw.url, '/healthz')
      expect(reply.status).toBe(200)
      served.add(await gw.servedBy(reply))
    }
    expect([...served].sort()).toEqual([...gw.workerPids].sort())
    // Which worker answered is for the logs, never for the client.
    const reply = await send(gw.url, '/healthz')
    expect(JSON.stringify(reply.headers)).not.toContain(String(await gw.servedBy(reply)))
  })

  it("the primary's operations listener adds the workers' metrics up and answers health for them", async () => {
    const maker = await sessionMaker(env, dir)
    await maker.session()
    await maker.close()
    const healthChecks = () => gw.lines('request').filter((l) => l.path === '/healthz' && l.status === 200).length
    const sample = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1))
    // Served by both workers (the test above): the scrape counts every one, whichever worker served it.
    await expect
      .poll(async () => {
        const text = (await send(gw.opsUrl!, '/metrics')).body
        return sample(text, 'gatehouse_http_requests_total{route_class="health",status="200"}') === healthChecks()
      })
      .toBe(true)
    const metrics = await send(gw.opsUrl!, '/metrics')
    expect(metrics.status).toBe(200)
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/)
    // Read from the store by every worker: one session, not one per worker.
    expect(sample(metrics.body, 'gatehouse_active_sessions')).toBe(1)
    expect((await send(gw.opsUrl!, '/readyz')).status).toBe(200)
    expect((await send(gw.opsUrl!, '/healthz')).status).toBe(200)
    expect((await send(gw.opsUrl!, '/nothing')).status).toBe(404)
    // With an operations address the public port serves no metrics, on any worker.
    for (const agent of (await gw.pinnedAgents()).values()) expect((await send(gw.url, '/metrics', { agent })).status).toBe(404)
  })

  it('a logout on one worker is refused on the very next request on the other, 1,000 times', async () => {
    await revocationsAcrossWorkers(gw, env, dir, 1000)
  }, 240_000)

  it('many requests racing a due rotation over both workers: one rotation, no reuse, the old cookie within its grace, refused as reuse after', async () => {
    const maker = await sessionMaker(env, dir)
    try {
      const started = Date.now()
      const cookie = await maker.session()
      // Real processes keep real time: wait until the rotation is due (ROTATE_EVERY = 2 s).
      await new Promise((r) => setTimeout(r, Math.max(0, started + 2_100 - Date.now())))
      const replies = await Promise.all(Array.from({ length: 40 }, () => send(gw.url, '/auth/session', { cookie })))
      expect(replies.map((r) => r.status)).toEqual(Array(40).fill(200))
      const servedBy = new Set(await Promise.all(replies.map((r) => gw.servedBy(r))))
      expect(servedBy.size).toBe(2)
      const rotated = [...new Set(replies.map(setCookiePair).filter((c): c is string => c !== undefined))]
      expect(rotated).toHaveLength(1)
      // The rotation happened before this instant: waiting from here overshoots its grace, never falls short.
      const rotatedAt = Date.now()
      const reused = await maker.store.listAudit({ type: 'session.reuse_detected' })
      expect(reused).toEqual([])

      // Within the grace (5 s): the old cookie and the new one work on both workers.
      const agents = [...(await gw.pinnedAgents()).values()]
      for (const agent of agents) {
        expect((await send(gw.url, '/auth/session', { agent, cookie: rotated[0] })).status).toBe(200)
        expect((await send(gw.url, '/auth/session', { agent, cookie })).status).toBe(200)
      }

      // Past the grace, the old cookie is a replay: refused, and the session ends as reused.
      await new Promise((r) => setTimeout(r, Math.max(0, rotatedAt + 5_200 - Date.now())))
      expect((await send(gw.url, '/auth/session', { agent: agents[0], cookie })).status).toBe(401)
      expect((await send(gw.url, '/auth/session', { agent: agents[1], cookie: rotated[0] })).status).toBe(401)
      expect(await maker.store.listAudit({ type: 'session.reuse_detected' })).toHaveLength(1)
    } finally {
      await maker.close()
    }
  }, 60_000)
})

describe('a worker that dies, and SIGTERM', () => {
  let upstream: Server
  let upstreamUrl: string
  let upstreamHits = 0
  beforeAll(async () => {
    // Answers after 400 ms: a request in flight when the gateway is told to stop.
    upstream = createServer((_req, res) => {
      upstreamHits++
      setTimeout(() => res.end('slow answer'), 400)
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())))

  it('a killed worker is replaced and the port keeps serving; SIGTERM drains in-flight requests and exits 0', async () => {
    const dir = tempDir()
    const env = workersEnv(dir, { GATEHOUSE_UPSTREAMS: `orders=${upstreamUrl}`, GATEHOUSE_OPS_ADDRESS: '127.0.0.1:0' })
    const gw = await startWorkersProcess(env)
    try {
      const [victim, survivor] = gw.workerPids as [number, number]
      // A worker that cannot answer makes the whole gateway not ready (after the primary's 5 s wait).
      process.kill(victim, 'SIGSTOP')
      const stalled = await send(gw.opsUrl!, '/readyz')
      process.kill(victim, 'SIGCONT')
      expect(stalled.status).toBe(503)
      expect(JSON.parse(stalled.body)).toMatchObject({ code: 'ERR_NOT_READY', detail: 'a worker did not answer' })
      expect((await send(gw.opsUrl!, '/readyz')).status).toBe(200)

      process.kill(victim, 'SIGKILL')
      await gw.waitFor(/gatehouse worker exited; starting another/)
      const exited = gw.lines('gatehouse worker exited; starting another')[0]!
      expect(exited).toMatchObject({ signal: 'SIGKILL', role: 'primary' })
      // While one worker is down and after, every new connection is served.
      for (let i = 0; i < 6; i++) expect((await send(gw.url, '/healthz')).status).toBe(200)
      await gw.waitFor(/gatehouse worker replaced/)
      const replacement = gw.lines('gatehouse worker replaced')[0]!.pid as number
      expect([victim, survivor]).not.toContain(replacement)
      const served = new Set<number>()
      for (let i = 0; i < 12; i++) served.add(await gw.servedBy(await send(gw.url, '/healthz')))
      expect([...served].sort()).toEqual([survivor, replacement].sort())

      const maker = await sessionMaker(env, dir)
      const cookie = await maker.session()
      await maker.close()
      const inFlight = send(gw.url, '/api/orders/slow', { cookie })
      await expect.poll(() => upstreamHits, { timeout: 5_000 }).toBe(1)
      gw.child.kill('SIGTERM')
      const reply = await inFlight
      expect(reply.status).toBe(200)
      expect(reply.body).toBe('slow answer')
      expect(await gw.exited).toBe(0)
      expect(gw.lines('gatehouse stopped')).toHaveLength(2)
      expect(gw.lines('gatehouse worker exited; starting another')).toHaveLength(1)
      for (const pid of [survivor, replacement]) expect(() => process.kill(pid, 0)).toThrow()
    } finally {
      await gw.stop()
    }
  }, 90_000)
})

describe.skipIf(pg.cluster === undefined)(`two workers on Postgres${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const dir = tempDir()
  let env: Record<string, string>
  let gw: WorkersProcess

  beforeAll(async () => {
    env = workersEnv(dir, { DATABASE_URL: await pg.cluster!.createDatabase('workers') })
    gw = await startWorkersProcess(env)
  }, 60_000)
  afterAll(async () => {
    await gw?.stop()
    await pg.cluster?.stop()
  })

  it('a logout on one worker is refused on the very next request on the other, 300 times', async () => {
    expect(gw.workerPids).toHaveLength(2)
    await revocationsAcrossWorkers(gw, env, dir, 300)
  }, 180_000)
})
