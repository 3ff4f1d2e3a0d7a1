import { join } from 'node:path'
import { openSqlite } from '@gatehouse/store-sqlite'
import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { prune } from '../src/maintenance/prune.js'
import { cliIo, makeGateway, PASSWORD, type TestGateway } from './helpers.js'
import { expectNoneIn, PROBE_DEVICE, PROBE_IP, PROBE_UA, sqliteBytes } from './personal-data-helpers.js'

const io = (gw: TestGateway, env: Record<string, string> = {}) => cliIo(gw.config.dataDir, { env })
const dbPath = (gw: TestGateway) => join(gw.config.dataDir, 'gatehouse.db')

async function probeScene(options: { env?: Record<string, string> } = {}) {
  let ip = PROBE_IP
  const gw = await makeGateway({ clientIp: () => ip, ...options })
  const alice = await gw.createUser('alice')
  await gw.createUser('root', { roles: ['admin', 'user'] })
  const login = await gw.request('/auth/login', { body: { username: 'alice', password: PASSWORD, deviceName: PROBE_DEVICE }, headers: { 'user-agent': PROBE_UA } })
  expect(login.status).toBe(200)
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  // A failed login from the same address: a rate-limit row keyed by it.
  expect((await gw.request('/auth/login', { body: { username: 'alice', password: 'wrong password' }, headers: { 'user-agent': PROBE_UA } })).status).toBe(401)
  ip = '203.0.113.7'
  const admin = await gw.login('root')
  return { gw, alice, cookie, admin }
}

describe('personal identifiers at rest (SQLite)', () => {
  it('the address, user agent and device name are nowhere in the database file in clear', async () => {
    const { gw } = await probeScene()
    await gw.store.close()
    expectNoneIn(sqliteBytes(dbPath(gw)), [PROBE_IP, PROBE_UA, PROBE_DEVICE])
    // What is there instead: versioned ciphertext, and a keyed hash for the rate-limit bucket.
    const db = openSqlite(dbPath(gw)).client
    const session = db.prepare('SELECT device_name, user_agent, client_ip FROM sessions WHERE device_name != ? LIMIT 1').get('x') as Record<string, string>
    for (const value of Object.values(session)) expect(value).toMatch(/^pii1\.[\w-]+\.[\w-]+$/)
    const keys = (db.prepare("SELECT key FROM rate_limits WHERE key LIKE 'ip:%'").pluck().all() as string[])
    // One bucket per address that tried (alice's, and the admin's login from another address).
    expect(keys).toHaveLength(2)
    for (const key of keys) expect(key).toMatch(/^ip:[0-9a-f]{64}$/)
    db.close()
  })

  it('the user, the admin API and the CLI see the values decrypted', async () => {
    const { gw, alice, cookie, admin } = await probeScene()
    const own = (await (await gw.request('/auth/sessions', { cookie, headers: { 'user-agent': PROBE_UA } })).json()) as { sessions: Array<Record<string, unknown>> }
    expect(own.sessions).toEqual([expect.objectContaining({ deviceName: PROBE_DEVICE, userAgent: PROBE_UA, current: true })])
    // The session check shows the device name, opened by the per-request lookup (which reads no
    // user agent or address).
    const current = (await (await gw.request('/auth/session', { cookie, headers: { 'user-agent': PROBE_UA } })).json()) as { session: Record<string, unknown> }
    expect(current.session.deviceName).toBe(PROBE_DEVICE)

    const sessions = (await (await gw.request(`/admin/users/${alice.id}/sessions`, { cookie: admin })).json()) as { sessions: Array<Record<string, unknown>> }
    expect(sessions.sessions).toEqual([expect.objectContaining({ deviceName: PROBE_DEVICE, userAgent: PROBE_UA, clientIp: PROBE_IP })])
    const audit = (await (await gw.request(`/admin/audit?userId=${alice.id}&type=session.created`, { cookie: admin })).json()) as { events: Array<Record<string, unknown>> }
    expect(audit.events).toEqual([expect.objectContaining({ clientIp: PROBE_IP, userAgent: PROBE_UA, deviceName: PROBE_DEVICE })])

    const list = io(gw)
    expect(await runCli(['sessions', 'list', 'alice'], list.io, gw.clock)).toBe(0)
    expect(list.out.join('\n')).toContain(PROBE_DEVICE)
    expect(list.out.join('\n')).toContain(PROBE_IP)
    const events = io(gw)
    expect(await runCli(['audit', 'list', '--user', 'alice'], events.io, gw.clock)).toBe(0)
    expect(events.out.join('\n')).toContain(`ip=${PROBE_IP}`)
    expect(events.out.join('\n')).toContain(`device=${JSON.stringify(PROBE_DEVICE)}`)
  })

  it('another master key does not open them (a clear refusal, not garbage)', async () => {
    const { gw, alice } = await probeScene()
    const other = io(gw, { GATEHOUSE_MASTER_KEY: 'another-master-key-0123456789-abcdefghijkl' })
    expect(await runCli(['audit', 'list', '--user', 'alice'], other.io, gw.clock)).toBe(1)
    expect(other.err.join()).toMatch(/ERR_STORE_UNREADABLE.*GATEHOUSE_MASTER_KEY does not decrypt/)
    expect(alice.id).toBeDefined()
  })

  it('a ciphertext moved to another session does not open there', async () => {
    const { gw, alice } = await probeScene()
    const second = await gw.login('alice')
    expect(second).toBeDefined()
    const db = openSqlite(dbPath(gw)).client
    const [a, b] = db.prepare('SELECT id, client_ip FROM sessions WHERE user_id = ? ORDER BY created_at').all(alice.id) as Array<{ id: string; client_ip: string }>
    db.prepare('UPDATE sessions SET client_ip = ? WHERE id = ?').run(a!.client_ip, b!.id)
    db.close()
    await expect(gw.store.findSession(b!.id)).rejects.toMatchObject({ code: 'ERR_STORE_UNREADABLE' })
  })
})

describe('audit retention (GATEHOUSE_AUDIT_RETENTION_DAYS)', () => {
  it('prune erases the personal fields of older events; audit verify still passes', async () => {
    const { gw, alice } = await probeScene({ env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '30' } })
    expect(gw.config.auditRetentionDays).toBe(30)
    const old = await gw.store.listAudit({ userId: alice.id })
    gw.clock.advance(31 * 86_400_000)
    await gw.login('alice') // a recent event, kept
    const result = await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS, auditRetentionDays: gw.config.auditRetentionDays })
    expect(result.erasedAuditEvents).toBeGreaterThanOrEqual(old.length)

    const after = await gw.store.listAudit({ userId: alice.id })
    const erased = after.filter((e) => old.some((o) => o.seq === e.seq))
    expect(erased.length).toBe(old.length)
    for (const e of erased) expect(e).toMatchObject({ clientIp: null, userAgent: null, deviceName: null })
    // Everything else about those events is kept.
    expect(erased.map((e) => [e.seq, e.type, e.details])).toEqual(old.map((e) => [e.seq, e.type, e.details]))
    const recent = after.find((e) => e.type === 'session.created' && !old.some((o) => o.seq === e.seq))
    expect(recent).toMatchObject({ clientIp: '203.0.113.7', deviceName: 'Firefox on Linux' })

    const verify = io(gw)
    expect(await runCli(['audit', 'verify'], verify.io, gw.clock)).toBe(0)
    expect(verify.out.join()).toMatch(/intact/)
    // Running again erases nothing more.
    expect((await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS, auditRetentionDays: 30 })).erasedAuditEvents).toBe(0)

    // The erased values are gone from the file, not just hidden: the probe address only ever
    // reached audit events (its session is still live, and sealed).
    await gw.store.close()
    const db = openSqlite(dbPath(gw)).client
    const stored = db.prepare('SELECT client_ip FROM audit_events WHERE seq = ?').pluck().get(erased[0]!.seq) as string
    expect(stored).toMatch(/^erased:[0-9a-f]{64}$/)
    db.close()
  })

  it('the CLI prune does the same, and says how many it erased', async () => {
    const { gw } = await probeScene()
    gw.clock.advance(8 * 86_400_000)
    const run = io(gw, { GATEHOUSE_AUDIT_RETENTION_DAYS: '7' })
    expect(await runCli(['prune'], run.io, gw.clock)).toBe(0)
    expect(run.out.join()).toMatch(/erased personal fields of [1-9]\d* audit event\(s\)/)
    const verify = io(gw)
    expect(await runCli(['audit', 'verify'], verify.io, gw.clock)).toBe(0)
  })

  it('an erased event edited afterwards still breaks the chain, and verify names it', async () => {
    const { gw } = await probeScene({ env: { GATEHOUSE_AUDIT_RETENTION_DAYS: '1' } })
    gw.clock.advance(2 * 86_400_000)
    await prune(gw.store, gw.clock, gw.core.sessions, { accessTtlS: gw.config.accessTtlS, auditRetentionDays: 1 })
    const db = openSqlite(dbPath(gw)).client
    // The personal fields may be changed (that is how erasure works), but not to anything else.
    db.prepare("UPDATE audit_events SET client_ip = 'erased:' || ? WHERE seq = 3").run('0'.repeat(64))
    expect(() => db.prepare("UPDATE audit_events SET type = 'nothing' WHERE seq = 3").run()).toThrow(/append-only/)
    db.close()
    const verify = io(gw)
    expect(await runCli(['audit', 'verify'], verify.io, gw.clock)).toBe(1)
    expect(verify.err.join()).toMatch(/broken at event #3 \(hash_mismatch\)/)
  })
})
