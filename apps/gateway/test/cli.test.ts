import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../src/cli/run.js'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import { cliIo, makeGateway, PASSWORD, tempDir } from './helpers.js'
import { spawnTs } from './process.js'

describe('pnpm gatehouse (in process)', () => {
  it('migrate creates the schema; exit 0', async () => {
    const dir = tempDir()
    const { io, out } = cliIo(dir)
    expect(await runCli(['migrate'], io)).toBe(0)
    expect(out.join()).toMatch(/migrations applied/)
    const store = createSqliteStore({ path: join(dir, 'gatehouse.db'), migrate: false })
    expect(await store.listUsers()).toEqual([])
    await store.close()
  })

  it('user create with --password-stdin and roles; the user can log in', async () => {
    const dir = tempDir()
    expect(await runCli(['user', 'create', 'Bob', '--password-stdin', '--role', 'admin', '--role', 'user'], cliIo(dir, { stdin: `${PASSWORD}\n` }).io)).toBe(0)
    const gw = await makeGateway({ dir })
    const res = await gw.request('/auth/login', { body: { username: 'bob', password: PASSWORD } })
    expect(res.status).toBe(200)
    expect((await res.json()).user.roles).toEqual(['admin', 'user'])
  })

  it('refusals exit 1 with a message on stderr; bad usage exits 2', async () => {
    const dir = tempDir()
    await runCli(['user', 'create', 'bob', '--password-stdin'], cliIo(dir, { stdin: PASSWORD }).io)
    const dup = cliIo(dir, { stdin: PASSWORD })
    expect(await runCli(['user', 'create', 'bob', '--password-stdin'], dup.io)).toBe(1)
    expect(dup.err.join()).toMatch(/taken/)
    expect(await runCli(['user', 'create', 'carol', '--password-stdin'], cliIo(dir, { stdin: 'short' }).io)).toBe(1)
    expect(await runCli(['user', 'suspend', 'nobody'], cliIo(dir).io)).toBe(1)
    expect(await runCli(['user', 'set-roles', 'bob', 'Not A Role'], cliIo(dir).io)).toBe(1)

    for (const argv of [[], ['frob'], ['user'], ['user', 'create'], ['user', 'create', 'x'], ['user', 'create', 'x', '--bogus'], ['migrate', 'extra']]) {
      const run = cliIo(dir, { stdin: PASSWORD })
      expect(await runCli(argv, run.io), argv.join(' ')).toBe(2)
      expect(run.err.join()).toMatch(/usage: pnpm gatehouse/)
    }
    const empty = cliIo(dir, { stdin: '' })
    expect(await runCli(['user', 'create', 'dave', '--password-stdin'], empty.io)).toBe(2)
  })

  it('set-password, set-roles and suspend each revoke the user\'s sessions; unsuspend lets them back in', async () => {
    const dir = tempDir()
    const gw = await makeGateway({ dir })
    await gw.createUser('alice')
    const cases: [string[], string][] = [
      [['user', 'set-password', 'alice', '--password-stdin'], 'password_changed'],
      [['user', 'set-roles', 'alice', 'user', 'auditor'], 'roles_changed'],
      [['user', 'suspend', 'alice'], 'suspended'],
    ]
    let password = PASSWORD
    for (const [argv, reason] of cases) {
      const cookie = await gw.login('alice', password)
      const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id
      const next = `${password}!`
      expect(await runCli(argv, cliIo(dir, { stdin: `${next}\n` }).io), argv.join(' ')).toBe(0)
      if (argv[1] === 'set-password') password = next
      expect((await gw.request('/auth/session', { cookie })).status).toBe(401)
      expect(await gw.store.findSession(sid)).toMatchObject({ revokedReason: reason })
    }
    expect((await gw.request('/auth/login', { body: { username: 'alice', password } })).status).toBe(403)
    expect(await runCli(['user', 'unsuspend', 'alice'], cliIo(dir).io)).toBe(0)
    expect((await gw.request('/auth/login', { body: { username: 'alice', password } })).status).toBe(200)
    const types = (await gw.store.listAudit({})).map((e) => e.type)
    expect(types).toEqual(expect.arrayContaining(['user.password_changed', 'user.roles_changed', 'user.suspended', 'user.unsuspended']))
  })
})

describe('pnpm gatehouse (a real process)', () => {
  it('exits 0, 1 and 2 as the contract says, messages on stderr', async () => {
    const dir = tempDir()
    const env = { GATEHOUSE_DATA_DIR: dir, DATABASE_URL: `file:${join(dir, 'g.db')}` }
    const ok = spawnTs('apps/gateway/src/cli/main.ts', ['user', 'create', 'eve', '--password-stdin'], env, `${PASSWORD}\n`)
    expect(await ok.exited).toBe(0)
    const refused = spawnTs('apps/gateway/src/cli/main.ts', ['user', 'create', 'eve', '--password-stdin'], env, `${PASSWORD}\n`)
    expect(await refused.exited).toBe(1)
    expect(refused.stderr()).toMatch(/taken/)
    const usage = spawnTs('apps/gateway/src/cli/main.ts', ['nonsense'], env)
    expect(await usage.exited).toBe(2)
    expect(usage.stderr()).toMatch(/unknown command/)
    expect(usage.stdout()).toBe('')
  })
})
