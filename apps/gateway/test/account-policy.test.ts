import { describe, expect, it } from 'vitest'
import { isCommonPassword } from '../src/auth/common-passwords.js'
import { runCli } from '../src/cli/run.js'
import { ConfigError } from '../src/errors.js'
import { cliIo, makeGateway, PASSWORD, tempDir, testConfig } from './helpers.js'

describe('password policy (NIST 800-63B: common passwords refused)', () => {
  it.each(['password', 'Password1', 'PASSWORD123', 'qwertyuiop', '12345678', 'iloveyou', 'gatehouse'])('refuses "%s" for a new user and a new password', async (common) => {
    const gw = await makeGateway()
    const create = gw.core.users.create({ username: 'eve', password: common, roles: [] }, { actor: 'test' })
    await expect(create).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' })
    await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const res = await gw.request('/auth/password', { cookie, body: { currentPassword: PASSWORD, newPassword: common } })
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toMatch(/too common/)
  })

  it('refuses the username as the password, and a new password equal to the current one', async () => {
    const gw = await makeGateway()
    await expect(gw.core.users.create({ username: 'longusername', password: 'LongUsername', roles: [] }, { actor: 'test' })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' })
    await gw.createUser('alice')
    const cookie = await gw.login('alice', PASSWORD, 'A')
    const other = await gw.login('alice', PASSWORD, 'B')
    const res = await gw.request('/auth/password', { cookie, body: { currentPassword: PASSWORD, newPassword: PASSWORD } })
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toMatch(/is the current one/)
    // Nothing happened: the other device is still signed in.
    expect((await gw.request('/auth/session', { cookie: other })).status).toBe(200)
    // The CLI says the same.
    const dir = gw.config.dataDir
    const run = cliIo(dir, { stdin: `${PASSWORD}\n` })
    expect(await runCli(['user', 'set-password', 'alice', '--password-stdin'], run.io, gw.clock)).toBe(1)
    expect(run.err.join()).toMatch(/current one/)
  })

  it('accepts an uncommon passphrase', () => {
    expect(isCommonPassword('violet elephant reads maps')).toBe(false)
  })
})

describe('the last administrator', () => {
  async function scene() {
    const gw = await makeGateway()
    const root = await gw.createUser('root', { roles: ['admin', 'user'] })
    const cookie = await gw.login('root')
    return { gw, root, cookie }
  }

  it('cannot remove their own admin role, be suspended or deleted (409), and nothing changes', async () => {
    const { gw, root, cookie } = await scene()
    for (const [method, path, body] of [
      ['PUT', `/admin/users/${root.id}/roles`, { roles: ['user'] }],
      ['POST', `/admin/users/${root.id}/suspend`, undefined],
      ['DELETE', `/admin/users/${root.id}`, undefined],
    ] as const) {
      const res = await gw.request(path, { method, cookie, ...(body ? { body } : {}) })
      expect(res.status, `${method} ${path}`).toBe(409)
      expect((await res.json()).detail).toMatch(/last administrator/)
    }
    expect((await gw.store.findUserById(root.id))!.roles).toContain('admin')
    expect((await gw.request('/auth/session', { cookie })).status).toBe(200)
    // The CLI is held to the same rule.
    const run = cliIo(gw.config.dataDir)
    expect(await runCli(['user', 'set-roles', 'root', 'user'], run.io, gw.clock)).toBe(1)
    expect(run.err.join()).toMatch(/last administrator/)
  })

  it('may step down once another active administrator exists (a suspended one does not count)', async () => {
    const { gw, root, cookie } = await scene()
    const other = await gw.createUser('second', { roles: ['admin'] })
    await gw.core.users.suspend(other.id, { actor: 'test' })
    expect((await gw.request(`/admin/users/${root.id}/roles`, { method: 'PUT', cookie, body: { roles: ['user'] } })).status).toBe(409)
    await gw.core.users.unsuspend(other.id, { actor: 'test' })
    expect((await gw.request(`/admin/users/${root.id}/roles`, { method: 'PUT', cookie, body: { roles: ['user'] } })).status).toBe(200)
  })
})

describe('declared roles (GATEHOUSE_ROLES)', () => {
  it('refuses an undeclared role with the list of known ones, and /admin/users tells the list', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ROLES: 'admin,user,auditor' } })
    await gw.createUser('root', { roles: ['admin'] })
    const bob = await gw.createUser('bob')
    const cookie = await gw.login('root')
    const res = await gw.request(`/admin/users/${bob.id}/roles`, { method: 'PUT', cookie, body: { roles: ['user', 'auditr'] } })
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toMatch(/unknown role "auditr"; the known roles are admin, user, auditor/)
    expect((await gw.store.findUserById(bob.id))!.roles).toEqual(['user'])
    expect((await gw.request(`/admin/users/${bob.id}/roles`, { method: 'PUT', cookie, body: { roles: ['user', 'auditor'] } })).status).toBe(200)
    expect((await (await gw.request('/admin/users', { cookie })).json()).knownRoles).toEqual(['admin', 'user', 'auditor'])
  })

  it('without it, any well-formed role is accepted and the list is null', async () => {
    const gw = await makeGateway()
    await gw.createUser('root', { roles: ['admin'] })
    const cookie = await gw.login('root')
    expect((await (await gw.request('/admin/users', { cookie })).json()).knownRoles).toBeNull()
  })

  it('is checked at start-up: admin must be declared, and so must every role a route rule needs', () => {
    expect(() => testConfig({ GATEHOUSE_ROLES: 'user' }, tempDir())).toThrow(ConfigError)
    expect(() => testConfig({ GATEHOUSE_ROLES: 'admin,Bad Role' }, tempDir())).toThrow(/not a valid role/)
  })
})
