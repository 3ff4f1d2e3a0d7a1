import { join } from 'node:path'
import { openSqlite } from '@gatehouse/store-sqlite'
import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { cliIo, makeGateway, PASSWORD, type TestGateway } from './helpers.js'

const io = (gw: TestGateway) => {
  const { io: cli, out, err } = cliIo(gw.config.dataDir)
  return { cli, out, err }
}

describe('the audit trail', () => {
  it('records the lifecycle with time, user, session, address and user agent', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice')
    await gw.request('/auth/logout', { method: 'POST', cookie })
    const events = await gw.store.listAudit({ userId: alice.id })
    expect(events.map((e) => e.type)).toEqual(['session.revoked', 'login.succeeded', 'session.created', 'user.created'])
    expect(events[0]).toMatchObject({ clientIp: '203.0.113.7', details: { reason: 'logout' }, at: gw.clock.now() })
    expect(events[0]!.userAgent).toMatch(/Firefox/)
    expect(events[0]!.sessionId).toBe(events[1]!.sessionId)
  })

  it('audit verify passes on an intact chain and names the first hand-edited event', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    for (let i = 0; i < 3; i++) await gw.login('alice')
    const ok = io(gw)
    expect(await runCli(['audit', 'verify'], ok.cli, gw.clock)).toBe(0)
    expect(ok.out.join()).toMatch(/intact: \d+ events/)

    // An attacker with the database file: the append-only triggers must go first.
    const db = openSqlite(join(gw.config.dataDir, 'gatehouse.db')).client
    expect(() => db.prepare("UPDATE audit_events SET type = 'nothing' WHERE seq = 3").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit_events WHERE seq = 3').run()).toThrow(/append-only/)
    db.exec('DROP TRIGGER audit_events_only_personal_fields')
    db.prepare(`UPDATE audit_events SET details = '{"reason":"nothing to see"}' WHERE seq = 3`).run()
    db.close()

    const broken = io(gw)
    expect(await runCli(['audit', 'verify'], broken.cli, gw.clock)).toBe(1)
    expect(broken.err.join()).toMatch(/broken at event #3 \(hash_mismatch\)/)
  })

  it('audit verify detects a deleted event', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.login('alice')
    await gw.login('alice')
    const db = openSqlite(join(gw.config.dataDir, 'gatehouse.db')).client
    db.exec('DROP TRIGGER audit_events_no_delete')
    db.prepare('DELETE FROM audit_events WHERE seq = 2').run()
    db.close()
    const run = io(gw)
    expect(await runCli(['audit', 'verify'], run.cli, gw.clock)).toBe(1)
    expect(run.err.join()).toMatch(/event #3/)
  })

  it('audit list filters by user and type', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    await gw.createUser('bob')
    await gw.login('alice')
    await gw.request('/auth/login', { body: { username: 'bob', password: 'wrong wrong' } })
    const run = io(gw)
    expect(await runCli(['audit', 'list', '--user', 'bob', '--type', 'login.failed'], run.cli, gw.clock)).toBe(0)
    expect(run.out).toHaveLength(1)
    expect(run.out[0]).toMatch(/login\.failed .*"reason":"bad_password"/)
    // Users are printed by the name they were asked for, in the columns and in the details.
    const bob = (await gw.store.findUserByUsername('bob'))!
    expect(run.out[0]).toContain('user=bob ')
    expect(run.out[0]).not.toContain(bob.id)
    const roles = io(gw)
    await gw.createUser('root', { roles: ['admin'] })
    const admin = await gw.login('root')
    await gw.request(`/admin/users/${bob.id}/suspend`, { method: 'POST', cookie: admin })
    expect(await runCli(['audit', 'list', '--type', 'user.suspended'], roles.cli, gw.clock)).toBe(0)
    expect(roles.out[0]).toMatch(/user=bob .*"by":"admin:root"/)
    expect(await runCli(['audit', 'list', '--since', 'soon'], io(gw).cli, gw.clock)).toBe(2)
    expect(await runCli(['audit', 'list', '--user', 'nobody'], io(gw).cli, gw.clock)).toBe(1)
  })
})

describe('CLI sessions and prune', () => {
  it('sessions list and revoke (one or all)', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const a = await gw.login('alice', PASSWORD, 'Laptop')
    const b = await gw.login('alice', PASSWORD, 'Phone')
    const list = io(gw)
    expect(await runCli(['sessions', 'list', 'alice'], list.cli, gw.clock)).toBe(0)
    expect(list.out).toHaveLength(2)
    const phoneId = list.out.find((l) => l.includes('Phone'))!.split(' ')[0]!
    expect(await runCli(['sessions', 'revoke', 'alice', `--session=${phoneId}`], io(gw).cli, gw.clock)).toBe(0)
    expect((await gw.request('/auth/session', { cookie: b })).status).toBe(401)
    expect((await gw.request('/auth/session', { cookie: a })).status).toBe(200)
    expect(await runCli(['sessions', 'revoke', 'alice', `--session=${phoneId}`], io(gw).cli, gw.clock)).toBe(1)
    expect(await runCli(['sessions', 'revoke', 'alice'], io(gw).cli, gw.clock)).toBe(0)
    expect((await gw.request('/auth/session', { cookie: a })).status).toBe(401)
    expect(await runCli(['sessions', 'list'], io(gw).cli, gw.clock)).toBe(2)
  })

  it('prune expires what is due (audited) and deletes ended sessions after a day', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_IDLE_TTL: '600' } })
    const alice = await gw.createUser('alice')
    await gw.login('alice')
    const { prune } = await import('../src/maintenance/prune.js')
    gw.clock.advance(600_000 + 60_000) // the idle timeout, and the touch interval on top
    expect(await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })).toMatchObject({ expired: 1, deletedSessions: 0 })
    expect(await gw.store.listAudit({ userId: alice.id, type: 'session.expired' })).toHaveLength(1)
    gw.clock.advance(24 * 3_600_000 + 1)
    expect(await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })).toMatchObject({ expired: 0, deletedSessions: 1 })
    const run = io(gw)
    expect(await runCli(['prune'], run.cli, gw.clock)).toBe(0)
    expect(run.out.join()).toMatch(/expired 0 session/)
  })

  it('prune deletes refresh tokens consumed more than a day ago, and keeps the live session', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_IDLE_TTL: '604800' } })
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id
    // Two renewals consume two refresh tokens.
    for (let i = 0; i < 2; i++) await gw.core.tokens.tokenFor({ sessionId: sid, userId: alice.id, roles: ['user'] }, 'orders', { fresh: true })
    const { prune } = await import('../src/maintenance/prune.js')
    expect(await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })).toMatchObject({ deletedRefreshTokens: 0 })
    gw.clock.advance(24 * 3_600_000 + 1)
    expect(await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS })).toMatchObject({ expired: 0, deletedRefreshTokens: 2 })
    expect(await gw.core.tokens.tokenFor({ sessionId: sid, userId: alice.id, roles: ['user'] }, 'orders', { fresh: true })).toMatch(/^eyJ/)
  })
})
