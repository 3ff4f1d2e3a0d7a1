import { describe, expect, it } from 'vitest'
import { verifyAuditChain } from '@gatehouse/store'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { runCli } from '../src/cli/run.js'
import { createCore } from '../src/core.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { cliIo, cookiePair, FakeClock, PASSWORD, testConfig } from './helpers.js'

const LONG_AGENT = `Mozilla/5.0 ${'x'.repeat(600)}`

describe('anonymous clients cannot grow the audit trail without bound', () => {
  it('3,000 refused logins against a real gateway add a few dozen rows, bounded in size; the real events stay findable and the chain verifies', async () => {
    const clock = new FakeClock()
    const config = { ...testConfig({ GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1' }), port: 0 }
    const running = await startGateway(config, { clock, logger: createLogger('silent') })
    try {
      const users = createCore({ config, store: running.store, clock, hasher: createPasswordHasher() }).users
      await users.create({ username: 'alice', password: PASSWORD, roles: ['user'] }, { actor: 'test' })
      await users.create({ username: 'root', password: PASSWORD, roles: ['admin'] }, { actor: 'test' })
      const rowsBefore = (await running.store.auditPage(0, 100_000)).length

      const login = (username: string, ip: string, password = 'wrong wrong') =>
        fetch(`${running.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: config.publicOrigin, 'x-forwarded-for': ip, 'user-agent': LONG_AGENT },
          body: JSON.stringify({ username, password }),
        })
      // One account from one address, then many names from another: 100 clients at once, each
      // asking again as soon as it is answered (busy connections, never idle long enough to be
      // closed under a client's feet on a loaded machine).
      const statuses: number[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          while (next < 3_000) {
            const i = next++
            const res = await (i < 1_500 ? login('alice', '198.51.100.7') : login(`name${i}`.padEnd(120, 'z'), '198.51.100.8'))
            statuses.push(res.status)
            await res.arrayBuffer()
          }
        }),
      )
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(2_900)

      const added = (await running.store.auditPage(0, 100_000)).slice(rowsBefore)
      // 5 failures and one lockout for alice, 50 failures and one lockout for the address.
      expect(added.length).toBeLessThanOrEqual(60)
      expect(added.filter((e) => e.type === 'login.rate_limited')).toHaveLength(2)
      for (const e of added) expect(JSON.stringify(e).length).toBeLessThan(1_000)
      // Stored sealed (personal data at rest): opened, each user agent is cut at 256 characters.
      const opened = await running.store.listAudit({ since: 0, limit: 1_000 })
      expect(opened.length).toBeGreaterThanOrEqual(added.length)
      expect(Math.max(...opened.map((e) => e.userAgent?.length ?? 0))).toBeLessThanOrEqual(256)

      // The real events: through the admin API and the CLI, and the chain is whole.
      const cookie = cookiePair(await login('root', '192.0.2.1', PASSWORD))!
      const res = await fetch(`${running.url}/admin/audit?type=login.rate_limited`, { headers: { cookie } })
      expect(res.status).toBe(200)
      const { events } = (await res.json()) as { events: { details: { scope: string } }[] }
      expect(events.map((e) => e.details.scope).sort()).toEqual(['address', 'client'])
      const list = cliIo(config.dataDir)
      expect(await runCli(['audit', 'list', '--type', 'login.rate_limited'], list.io, clock)).toBe(0)
      expect(list.out.join('\n').match(/login\.rate_limited/g)).toHaveLength(2)
      const verify = cliIo(config.dataDir)
      expect(await runCli(['audit', 'verify'], verify.io, clock)).toBe(0)
      expect(await verifyAuditChain((after, limit) => running.store.auditPage(after, limit))).toMatchObject({ ok: true })
    } finally {
      await running.close()
    }
  }, 120_000)
})
