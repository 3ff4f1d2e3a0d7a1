import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startGateway } from '../src/server.js'
import { createLogger } from '../src/logging/logger.js'
import { createCore } from '../src/core.js'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { systemClock } from '../src/clock.js'
import { PASSWORD, tempDir, testConfig } from './helpers.js'
import { freePort, spawnTs } from './process.js'

const STRONG = 'k3y-0123456789-abcdefghijklmnopqrstuvwxyz'

async function loginOver(url: string, origin: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  })
  expect(res.status).toBe(200)
  return res.headers.getSetCookie()[0]!.split(';')[0]!
}

describe('a real gateway server', () => {
  it('keeps sessions across a restart on the same SQLite file', async () => {
    const dir = tempDir()
    const config = { ...testConfig({}, dir), port: 0 }
    const logger = createLogger('silent')
    const first = await startGateway(config, { logger })
    await createCore({ config, store: first.store, clock: systemClock, hasher: createPasswordHasher() }).users.create(
      { username: 'alice', password: PASSWORD, roles: ['user'] },
      { actor: 'test' },
    )
    const cookie = await loginOver(first.url, config.publicOrigin)
    expect((await fetch(`${first.url}/auth/session`, { headers: { cookie } })).status).toBe(200)
    await first.close()

    const second = await startGateway(config, { logger })
    try {
      const res = await fetch(`${second.url}/auth/session`, { headers: { cookie } })
      expect(res.status).toBe(200)
      expect((await res.json()).user.username).toBe('alice')
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
      expect(await (await fetch(`${second.url}/healthz`)).json()).toEqual({ status: 'ok' })
    } finally {
      await second.close()
    }
  })

  it('/readyz answers 503 once the store is gone, /healthz still 200', async () => {
    const config = { ...testConfig(), port: 0 }
    const running = await startGateway(config, { logger: createLogger('silent') })
    await running.store.close()
    const res = await fetch(`${running.url}/readyz`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'ERR_NOT_READY', failed: ['store'] })
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200)
    await running.close()
  })
})

describe('the gateway process (pnpm gateway)', () => {
  it('finishes in-flight requests and exits 0 on SIGTERM', async () => {
    const dir = tempDir()
    const port = await freePort()
    const proc = spawnTs('apps/gateway/src/main.ts', [], {
      PORT: String(port),
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      LOG_LEVEL: 'warn',
    })
    await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    // A request the server is still reading (its body is not complete) when SIGTERM arrives.
    const inflight = fetch(`http://127.0.0.1:${port}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"username":"nobody",'))
          setTimeout(() => {
            proc.child.kill('SIGTERM')
            setTimeout(() => {
              controller.enqueue(new TextEncoder().encode('"password":"whatever-it-is"}'))
              controller.close()
            }, 300)
          }, 100)
        },
      }),
      duplex: 'half',
    } as RequestInit)
    const res = await inflight
    expect(res.status).toBe(401)
    expect(await proc.exited).toBe(0)
    expect(proc.stdout()).toMatch(/SIGTERM/)
  })

  it('refuses to start in production with a weak secret, naming it, exit 1', async () => {
    const dir = tempDir()
    const proc = spawnTs('apps/gateway/src/main.ts', [], {
      NODE_ENV: 'production',
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      GATEHOUSE_COOKIE_SECRET: 'too-short',
      GATEHOUSE_MASTER_KEY: STRONG,
    })
    expect(await proc.exited).toBe(1)
    expect(proc.stderr()).toMatch(/GATEHOUSE_COOKIE_SECRET: must be at least 32 characters/)
  })

  it('a wrong DATABASE_URL is a clear start-up error', async () => {
    const proc = spawnTs('apps/gateway/src/main.ts', [], { DATABASE_URL: 'mysql://db/x', GATEHOUSE_DATA_DIR: tempDir() })
    expect(await proc.exited).toBe(1)
    expect(proc.stderr()).toMatch(/DATABASE_URL: must start with file: \(SQLite\) or postgres:\/\//)
  })
})
