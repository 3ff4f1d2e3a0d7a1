import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { expect } from 'vitest'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { systemClock } from '../src/clock.js'
import { createCore } from '../src/core.js'
import { openStore } from '../src/open-store.js'
import { COOKIE_SECRET, MASTER_KEY, ORIGIN, PASSWORD, testConfig, USER_AGENT } from './helpers.js'
import { REPO_ROOT, spawnTs, type Spawned } from './process.js'

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP request over `agent` (a kept-alive connection pins it to one worker); no agent: a new connection. */
export function send(base: string, path: string, init: { agent?: Agent; cookie?: string; method?: string } = {}): Promise<Reply> {
  const method = init.method ?? 'GET'
  const headers: Record<string, string> = { 'user-agent': USER_AGENT }
  if (init.cookie !== undefined) headers.cookie = init.cookie
  if (method !== 'GET') headers.origin = ORIGIN
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: init.agent ?? false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The `name=value` pair of a Set-Cookie that sets the session cookie. */
export function setCookiePair(reply: Reply): string | undefined {
  return reply.headers['set-cookie']?.find((h) => /^(__Host-)?gatehouse=/.test(h))?.split(';')[0]
}

export interface WorkersProcess extends Spawned {
  url: string
  /** The primary's operations listener, when GATEHOUSE_OPS_ADDRESS is set. */
  opsUrl?: string | undefined
  /** The worker pids the primary announced at start. */
  workerPids: number[]
  /** The pid of the worker that served a reply, from its access log line (not told to clients). */
  servedBy(reply: Reply): Promise<number>
  /** A kept-alive connection to each worker, by pid. */
  pinnedAgents(): Promise<Map<number, Agent>>
  /** Log lines (parsed JSON) with this `msg`. */
  lines(msg: string): Array<Record<string, unknown>>
  stop(): Promise<number | null>
}

/** `pnpm gateway` (main.ts) as a real process with GATEHOUSE_WORKERS, on a port of its choosing. */
export async function startWorkersProcess(env: Record<string, string>): Promise<WorkersProcess> {
  const proc = spawnTs(join(REPO_ROOT, 'apps/gateway/src/main.ts'), [], { PORT: '0', LOG_LEVEL: 'info', ...env })
  try {
    return await started(proc, env)
  } catch (error) {
    // Never leave a half-started gateway (and its workers) behind a failed start.
    proc.child.kill('SIGTERM')
    await proc.exited
    throw error
  }
}

async function started(proc: Spawned, env: Record<string, string>): Promise<WorkersProcess> {
  const url = (await proc.waitFor(/Gatehouse listening on (http:\S+)/, 60_000)).replace(/^Gatehouse listening on /, '')
  const lines = (msg: string) =>
    proc
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  await proc.waitFor(/"msg":"gatehouse workers listening"/)
  const opsUrl = env.GATEHOUSE_OPS_ADDRESS === undefined ? undefined : /on (http:\S+)/.exec(await proc.waitFor(/Operations listener .* on http:\S+/))![1]
  const workerPids = lines('gatehouse workers listening')[0]!.pids as number[]
  const servedBy = async (reply: Reply) => {
    const id = String(reply.headers['x-request-id'])
    let pid: number | undefined
    await expect.poll(() => (pid = lines('request').find((l) => l.requestId === id)?.pid as number | undefined), { timeout: 5_000 }).toBeDefined()
    return pid!
  }
  const agents: Agent[] = []
  return {
    ...proc,
    url,
    opsUrl,
    workerPids,
    servedBy,
    lines,
    async pinnedAgents() {
      const byPid = new Map<number, Agent>()
      // Connections are handed to the workers in turn; a few tries find one on each.
      for (let i = 0; i < 20 && byPid.size < workerPids.length; i++) {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 })
        agents.push(agent)
        const pid = await servedBy(await send(url, '/healthz', { agent }))
        if (!byPid.has(pid)) byPid.set(pid, agent)
      }
      expect([...byPid.keys()].sort()).toEqual([...workerPids].sort())
      return byPid
    },
    async stop() {
      for (const agent of agents) agent.destroy()
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM')
      return proc.exited
    },
  }
}

export const workersEnv = (dir: string, extra: Record<string, string> = {}) => ({
  GATEHOUSE_DATA_DIR: dir,
  DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
  GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET,
  GATEHOUSE_MASTER_KEY: MASTER_KEY,
  GATEHOUSE_WORKERS: '2',
  ...extra,
})

/** Users and sessions made in the test's own process, on the store the workers share. */
export async function sessionMaker(env: Record<string, string>, dir: string) {
  const config = testConfig(env, dir)
  const store = await openStore(config, { migrate: false })
  const core = createCore({ config, store, clock: systemClock, hasher: createPasswordHasher() })
  let n = 0
  const user = await core.users.create({ username: `worker-user-${Date.now() % 100_000}`, password: PASSWORD, roles: ['user'] }, { actor: 'test' })
  return {
    store,
    core,
    /** A new session's cookie pair, as a login would have set it. */
    async session(): Promise<string> {
      const { setCookie } = await core.sessions.start(user, { deviceName: `device ${++n}`, clientIp: '127.0.0.1', userAgent: USER_AGENT })
      return setCookie.split(';')[0]!
    },
    close: () => store.close(),
  }
}
