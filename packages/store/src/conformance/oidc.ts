import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { Store } from '../store.js'
import type { IdpSessionRecord, OidcTransaction } from '../oidc-types.js'
import { newSession, newUser, T0 } from './fixtures.js'

const ISS = 'https://idp.example.com'
const id = () => randomBytes(16).toString('hex')

const transaction = (overrides: Partial<OidcTransaction> = {}): OidcTransaction => ({
  id: id(),
  provider: 'corp',
  browserHash: id(),
  dataEnc: 'v1.x.y',
  createdAt: T0,
  expiresAt: T0 + 600_000,
  ...overrides,
})

async function idpSession(s: Store, overrides: Partial<IdpSessionRecord> = {}, sessionOverrides: Parameters<typeof newSession>[1] = {}) {
  const user = await s.createUser(newUser())
  const session = newSession(user.id, sessionOverrides)
  await s.createSession(session)
  const record: IdpSessionRecord = {
    sessionId: session.id,
    provider: 'corp',
    issuer: ISS,
    subject: `sub-${user.id}`,
    idpSid: 'idp-sid-1',
    tokensEnc: 'v1.tokens',
    accessExpiresAt: T0 + 300_000,
    version: 0,
    refreshLeaseUntil: null,
    updatedAt: T0,
    ...overrides,
  }
  await s.saveIdpSession(record)
  return { user, session, record }
}

export function oidcConformance(store: () => Store): void {
  it('a login transaction is taken once, and not after it expired', async () => {
    const s = store()
    const t = transaction()
    await s.createOidcTransaction(t)
    expect(await s.takeOidcTransaction(t.id, T0 + 1)).toEqual(t)
    expect(await s.takeOidcTransaction(t.id, T0 + 2)).toBeNull()
    const old = transaction()
    await s.createOidcTransaction(old)
    expect(await s.takeOidcTransaction(old.id, old.expiresAt)).toBeNull()
    expect(await s.takeOidcTransaction(old.id, T0)).toBeNull()
  })

  it('of racing takers of one transaction exactly one gets it', async () => {
    const s = store()
    const t = transaction()
    await s.createOidcTransaction(t)
    const results = await Promise.all(Array.from({ length: 8 }, () => s.takeOidcTransaction(t.id, T0)))
    expect(results.filter((r) => r !== null)).toHaveLength(1)
  })

  it('links, finds, lists, touches and unlinks identities; a second link of the same identity conflicts', async () => {
    const s = store()
    const u = await s.createUser(newUser())
    const other = await s.createUser(newUser())
    const link = { issuer: ISS, subject: 'abc', userId: u.id, provider: 'corp', createdAt: T0, lastLoginAt: null }
    await s.linkIdentity(link)
    await s.linkIdentity({ ...link, issuer: 'https://other.example', createdAt: T0 + 1 })
    await expect(s.linkIdentity({ ...link, userId: other.id })).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' })
    expect(await s.findIdentity(ISS, 'abc')).toEqual(link)
    expect(await s.findIdentity(ISS, 'ABC')).toBeNull()
    await s.touchIdentity(ISS, 'abc', T0 + 5)
    expect(await s.findIdentity(ISS, 'abc')).toEqual({ ...link, lastLoginAt: T0 + 5 })
    expect((await s.listIdentities(u.id)).map((i) => i.issuer)).toEqual([ISS, 'https://other.example'])
    expect(await s.listIdentities(other.id)).toEqual([])
    expect(await s.unlinkIdentity(other.id, ISS, 'abc')).toBe(false)
    expect(await s.unlinkIdentity(u.id, ISS, 'abc')).toBe(true)
    expect(await s.findIdentity(ISS, 'abc')).toBeNull()
  })

  it('deleting a user deletes its identities and its sessions’ IdP tokens', async () => {
    const s = store()
    const { user, session } = await idpSession(s)
    await s.linkIdentity({ issuer: ISS, subject: 'x', userId: user.id, provider: 'corp', createdAt: T0, lastLoginAt: null })
    await s.deleteUser(user.id)
    expect(await s.findIdentity(ISS, 'x')).toBeNull()
    expect(await s.findIdpSession(session.id)).toBeNull()
  })

  it('stores a session’s IdP tokens and replaces them by compare-and-set on the version', async () => {
    const s = store()
    const { session, record } = await idpSession(s)
    expect(await s.findIdpSession(session.id)).toEqual(record)
    const update = { expectedVersion: 0, tokensEnc: 'v1.new', accessExpiresAt: T0 + 900_000, now: T0 + 10 }
    expect(await s.updateIdpTokens(session.id, update)).toBe(true)
    expect(await s.updateIdpTokens(session.id, { ...update, tokensEnc: 'v1.lost' })).toBe(false)
    expect(await s.findIdpSession(session.id)).toEqual({ ...record, tokensEnc: 'v1.new', accessExpiresAt: T0 + 900_000, version: 1, updatedAt: T0 + 10 })
  })

  it('of racing refreshes of one version exactly one stores its tokens', async () => {
    const s = store()
    const { session } = await idpSession(s)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => s.updateIdpTokens(session.id, { expectedVersion: 0, tokensEnc: `v1.${i}`, accessExpiresAt: null, now: T0 + 1 })),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    const winner = results.indexOf(true)
    expect(await s.findIdpSession(session.id)).toMatchObject({ tokensEnc: `v1.${winner}`, version: 1 })
  })

  it('leases a refresh to one of racing gateways, until it ends, is released or its tokens are stored', async () => {
    const s = store()
    const { session } = await idpSession(s)
    const lease = { expectedVersion: 0, until: T0 + 10_000, now: T0 }
    const results = await Promise.all(Array.from({ length: 8 }, () => s.leaseIdpRefresh(session.id, lease)))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await s.leaseIdpRefresh(session.id, { ...lease, now: T0 + 9_999 })).toBe(false)
    // A lease whose holder died ends by itself.
    expect(await s.leaseIdpRefresh(session.id, { ...lease, now: T0 + 10_000, until: T0 + 20_000 })).toBe(true)
    await s.releaseIdpRefresh(session.id, 0)
    expect(await s.leaseIdpRefresh(session.id, { ...lease, now: T0 + 10_001 })).toBe(true)
    expect(await s.updateIdpTokens(session.id, { expectedVersion: 0, tokensEnc: 'v1.n', accessExpiresAt: null, now: T0 + 10_002 })).toBe(true)
    expect(await s.findIdpSession(session.id)).toMatchObject({ version: 1, refreshLeaseUntil: null })
    // The old version can no longer be leased; the new one can.
    expect(await s.leaseIdpRefresh(session.id, { ...lease, now: T0 + 10_003 })).toBe(false)
    expect(await s.leaseIdpRefresh(session.id, { expectedVersion: 1, until: T0 + 20_000, now: T0 + 10_003 })).toBe(true)
    await s.revokeSession(session.id, 'logout', T0 + 10_004)
    await s.releaseIdpRefresh(session.id, 1)
    expect(await s.leaseIdpRefresh(session.id, { expectedVersion: 1, until: T0 + 30_000, now: T0 + 10_005 })).toBe(false)
  })

  it('stores no refreshed tokens for a revoked session', async () => {
    const s = store()
    const { session } = await idpSession(s)
    await s.revokeSession(session.id, 'idp_revoked', T0 + 1)
    expect(await s.updateIdpTokens(session.id, { expectedVersion: 0, tokensEnc: 'v1.late', accessExpiresAt: null, now: T0 + 2 })).toBe(false)
    expect((await s.findSession(session.id))?.revokedReason).toBe('idp_revoked')
  })

  it('finds the live sessions a logout token names, by sid and/or sub, of that issuer only', async () => {
    const s = store()
    const a = await idpSession(s, { subject: 'alice', idpSid: 's1' })
    const b = await idpSession(s, { subject: 'alice', idpSid: 's2' })
    const c = await idpSession(s, { subject: 'bob', idpSid: 's1', issuer: 'https://other.example' })
    const ended = await idpSession(s, { subject: 'alice', idpSid: 's1' })
    await s.revokeSession(ended.session.id, 'logout', T0 + 1)
    const sorted = (ids: string[]) => [...ids].sort()
    expect(sorted(await s.findIdpSessionIds({ issuer: ISS, subject: 'alice' }, T0 + 2))).toEqual(sorted([a.session.id, b.session.id]))
    expect(await s.findIdpSessionIds({ issuer: ISS, idpSid: 's1' }, T0 + 2)).toEqual([a.session.id])
    expect(await s.findIdpSessionIds({ issuer: ISS, idpSid: 's2', subject: 'alice' }, T0 + 2)).toEqual([b.session.id])
    expect(await s.findIdpSessionIds({ issuer: ISS, idpSid: 's2', subject: 'bob' }, T0 + 2)).toEqual([])
    expect(await s.findIdpSessionIds({ issuer: 'https://other.example', idpSid: 's1' }, T0 + 2)).toEqual([c.session.id])
  })

  it('remembers a logout token id once, until it expires and is pruned', async () => {
    const s = store()
    expect(await s.recordLogoutTokenId('k1', T0 + 100)).toBe(true)
    expect(await s.recordLogoutTokenId('k1', T0 + 100)).toBe(false)
    const t = transaction({ expiresAt: T0 + 50 })
    await s.createOidcTransaction(t)
    expect(await s.deleteExpiredOidcRecords(T0 + 101)).toBe(2)
    expect(await s.recordLogoutTokenId('k1', T0 + 200)).toBe(true)
  })
}
