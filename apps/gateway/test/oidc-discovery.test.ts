import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { logSink, tempDir, testConfig } from './helpers.js'
import { CLIENT_SECRET, loginViaIdp, oidcGateway, startTestIdp } from './oidc-helpers.js'

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('an unreachable identity provider', () => {
  it('makes /readyz say so and its login answer 503, until it is back', async () => {
    const port = await freePort()
    const gw = await oidcGateway({ issuer: `http://127.0.0.1:${port}` })
    const ready = await gw.request('/readyz')
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ code: 'ERR_NOT_READY', failed: ['idp:demo'] })
    const login = await gw.request('/auth/oidc/demo/login')
    expect(login.status).toBe(503)
    expect(((await login.json()) as { code: string }).code).toBe('ERR_IDP_UNAVAILABLE')
    expect(login.headers.get('set-cookie')).toBeNull()
    // Password logins and everything else carry on.
    await gw.createUser('carol')
    expect(await gw.login('carol')).toMatch(/^gatehouse=/)

    const idp = await startTestIdp({ port })
    try {
      gw.clock.advance(5_000)
      expect((await gw.request('/readyz')).status).toBe(200)
      const { session } = await loginViaIdp(gw)
      expect(session).toMatch(/^gatehouse=/)
    } finally {
      await idp.close()
    }
    expect(gw.logs.text()).toContain('identity provider discovery failed')
  })

  it('never stops the gateway from starting', async () => {
    const dir = tempDir()
    const file = join(dir, 'gatehouse.json')
    const port = await freePort()
    writeFileSync(file, JSON.stringify({ providers: [{ name: 'demo', issuer: `http://127.0.0.1:${port}`, clientId: 'c', clientSecretEnv: 'S' }] }))
    const logs = logSink()
    const running = await startGateway(testConfig({ GATEHOUSE_CONFIG: file, S: CLIENT_SECRET, PORT: '0' }, dir), { logger: createLogger('info', logs.stream) })
    try {
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200)
      expect((await fetch(`${running.url}/readyz`)).status).toBe(503)
      expect((await fetch(`${running.url}/auth/oidc/demo/login`, { redirect: 'manual' })).status).toBe(503)
    } finally {
      await running.close()
    }
  })
})
