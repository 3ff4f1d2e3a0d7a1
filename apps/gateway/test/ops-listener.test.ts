import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/env.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { COOKIE_SECRET, MASTER_KEY, tempDir, testConfig } from './helpers.js'
import { freePort, spawnTs } from './process.js'

const silent = createLogger('silent')

describe('the operations listener (GATEHOUSE_OPS_ADDRESS)', () => {
  it('serves /metrics, /healthz and /readyz on its own port; the public listener no longer serves /metrics', async () => {
    const running = await startGateway({ ...testConfig({ GATEHOUSE_OPS_ADDRESS: '127.0.0.1:0' }), port: 0 }, { logger: silent })
    try {
      expect(running.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(running.opsUrl).not.toBe(running.url)
      const metrics = await fetch(`${running.opsUrl}/metrics`)
      expect(metrics.status).toBe(200)
      expect(await metrics.text()).toMatch(/^# HELP gatehouse_/m)
      expect(await (await fetch(`${running.opsUrl}/healthz`)).json()).toEqual({ status: 'ok' })
      expect((await fetch(`${running.opsUrl}/readyz`)).status).toBe(200)
      // Nothing else is there: no login, no proxy.
      expect((await fetch(`${running.opsUrl}/auth/session`)).status).toBe(404)

      const pub = await fetch(`${running.url}/metrics`)
      expect(pub.status).toBe(404)
      expect(await pub.text()).not.toMatch(/gatehouse_/)
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200)
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200)
    } finally {
      await running.close()
    }
    // Both listeners are closed.
    await expect(fetch(`${running.opsUrl}/healthz`)).rejects.toThrow()
  })

  it('in production the public listener never serves /metrics, even without an operations listener', async () => {
    const running = await startGateway({ ...testConfig({ NODE_ENV: 'production' }), port: 0 }, { logger: silent })
    try {
      expect(running.opsUrl).toBeUndefined()
      expect((await fetch(`${running.url}/metrics`)).status).toBe(404)
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200)
    } finally {
      await running.close()
    }
  })

  it('in development without one, the public listener serves /metrics as before', async () => {
    const running = await startGateway({ ...testConfig(), port: 0 }, { logger: silent })
    try {
      expect((await fetch(`${running.url}/metrics`)).status).toBe(200)
    } finally {
      await running.close()
    }
  })

  it('a malformed address is a start-up error naming the variable', () => {
    const dir = tempDir()
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_COOKIE_SECRET: COOKIE_SECRET, GATEHOUSE_MASTER_KEY: MASTER_KEY }
    for (const bad of ['9090', 'localhost', 'host:99999', ':9090', '[nope]:9090', 'a b:1']) {
      expect(() => loadConfig({ ...env, GATEHOUSE_OPS_ADDRESS: bad }, dir)).toThrow(/^GATEHOUSE_OPS_ADDRESS: /)
    }
    expect(loadConfig({ ...env, GATEHOUSE_OPS_ADDRESS: '[::1]:9090' }, dir).opsAddress).toEqual({ host: '::1', port: 9090 })
    expect(loadConfig({ ...env, GATEHOUSE_OPS_ADDRESS: '0.0.0.0:9090' }, dir).opsAddress).toEqual({ host: '0.0.0.0', port: 9090 })
  })

  it('pnpm gateway prints both addresses and serves metrics only on the operations port', async () => {
    const dir = tempDir()
    const [port, opsPort] = [await freePort(), await freePort()]
    const proc = spawnTs('apps/gateway/src/main.ts', [], {
      PORT: String(port),
      GATEHOUSE_OPS_ADDRESS: `127.0.0.1:${opsPort}`,
      GATEHOUSE_DATA_DIR: dir,
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      LOG_LEVEL: 'warn',
    })
    try {
      await proc.waitFor(new RegExp(`Operations listener \\(/metrics, /healthz, /readyz\\) on http://127\\.0\\.0\\.1:${opsPort}`))
      expect((await fetch(`http://127.0.0.1:${opsPort}/metrics`)).status).toBe(200)
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404)
    } finally {
      proc.child.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
    }
  })
})
