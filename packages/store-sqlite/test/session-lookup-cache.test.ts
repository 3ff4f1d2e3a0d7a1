import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newSession, newUser, stateOf, T0 } from '@gatehouse/store/conformance'
import { createSqliteStore } from '../src/index.js'

describe('the session lookup cache never serves a stale row', () => {
  it('sees writes made through another connection to the same file (the CLI, a second gateway)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gh-cache-')), 'c.db')
    const gateway = createSqliteStore({ path })
    const cli = createSqliteStore({ path, migrate: false })
    const u = await gateway.createUser(newUser({ roles: ['user'] }))
    const s = newSession(u.id)
    await gateway.createSession(s)
    expect((await gateway.findSessionWithUser(s.id))?.session.revokedAt).toBeNull()
    expect((await gateway.findSessionWithUser(s.id))?.session.revokedAt).toBeNull()

    await cli.updateUser(u.id, { roles: ['admin'] }, T0 + 1)
    expect((await gateway.findSessionWithUser(s.id))?.user.roles).toEqual(['admin'])
    await cli.revokeSession(s.id, 'admin_revoked', T0 + 2)
    expect(await gateway.findSessionWithUser(s.id)).toMatchObject({ session: { revokedReason: 'admin_revoked' } })
    await cli.deleteUser(u.id)
    expect(await gateway.findSessionWithUser(s.id)).toBeNull()
    await Promise.all([gateway.close(), cli.close()])
  })

  it('a caller changing what it got back does not change the cache', async () => {
    const store = createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'gh-cache-')), 'c.db') })
    const u = await store.createUser(newUser({ roles: ['user'] }))
    const s = newSession(u.id)
    await store.createSession(s)
    const first = await store.findSessionWithUser(s.id)
    first!.session.revokedAt = 123
    first!.user.suspendedAt = 456
    expect(await store.findSessionWithUser(s.id)).toEqual({ session: stateOf(s), user: u })
    await store.close()
  })
})
