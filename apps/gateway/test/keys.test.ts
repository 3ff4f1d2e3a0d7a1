import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMasterKeyCipher } from '@gatehouse/tokens'
import { openSqlite } from '@gatehouse/store-sqlite'
import { createGateway } from '../src/app.js'
import { createPasswordHasher } from '../src/auth/passwords.js'
import { runCli } from '../src/cli/run.js'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import { cliIo, FakeClock, makeGateway, MASTER_KEY, tempDir, testConfig, type TestGateway } from './helpers.js'
import { spawnTs } from './process.js'
import { kidsOf, loggedIn, servedJwks, verifierFor } from './token-helpers.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const OTHER_MASTER_KEY = 'another-master-key-0123456789-abcdefghij'

function rotate(gw: TestGateway, cookie: string, body?: unknown) {
  return gw.request('/admin/keys/rotate', { method: 'POST', cookie, ...(body === undefined ? {} : { body }) })
}

describe('GET /.well-known/jwks.json', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256']) {
    it(`serves public ${alg} keys only, cacheable, as JSON`, async () => {
      const gw = await makeGateway({ env: { GATEHOUSE_SIGNING_ALG: alg } })
      const admin = await loggedIn(gw, 'root', ['admin'])
      expect((await rotate(gw, admin.cookie)).status).toBe(200)
      const res = await gw.request('/.well-known/jwks.json')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.headers.get('cache-control')).toBe('public, max-age=60')
      const { keys } = (await res.json()) as { keys: Record<string, unknown>[] }
      expect(keys).toHaveLength(2)
      for (const key of keys) {
        expect(key).toMatchObject({ alg, use: 'sig', kid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) })
        for (const member of PRIVATE_MEMBERS) expect(key, member).not.toHaveProperty(member)
      }
    })
  }

  it('needs no session and is not affected by the cross-site check', async () => {
    const gw = await makeGateway()
    const res = await gw.request('/.well-known/jwks.json', { headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } })
    expect(res.status).toBe(200)
  })
})

describe('signing keys at rest', () => {
  it('the private key is stored encrypted: not in any row, nor anywhere in the SQLite files', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_SIGNING_ALG: 'RS256' } })
    const admin = await loggedIn(gw, 'root', ['admin'])
    await rotate(gw, admin.cookie)
    const path = (gw.config.database as { path: string }).path
    const { client } = openSqlite(path)
    const rows = client.prepare('select * from signing_keys').all() as Record<string, string>[]
    client.close()
    expect(rows).toHaveLength(2)
    const files = [path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f))
    for (const row of rows) {
      expect(row.private_key_enc).toMatch(/^v1\./)
      // Only the master key opens it, and then it is the private half of the published key.
      const jwk = JSON.parse(createMasterKeyCipher(MASTER_KEY).decrypt(row.private_key_enc!, row.kid!)) as Record<string, string>
      expect(jwk.n).toBe(JSON.parse(row.public_jwk!).n)
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        expect(Object.values(row).join('\n')).not.toContain(jwk[member])
        for (const bytes of files) {
          expect(bytes.includes(jwk[member]!), `${member} in the file`).toBe(false)
          expect(bytes.includes(Buffer.from(jwk[member]!, 'base64url')), `raw ${member} in the file`).toBe(false)
        }
      }
    }
  })

  it('gateways starting together on an empty store make one key and all sign with it', async () => {
    const dir = tempDir()
    const gateways = await Promise.all(Array.from({ length: 5 }, () => makeGateway({ dir })))
    const kids = await Promise.all(gateways.map(async (gw) => (await gw.core.keys.signingKey()).kid))
    expect(new Set(kids).size).toBe(1)
    expect(kidsOf(await servedJwks(gateways[0]!))).toEqual([kids[0]])
    for (const gw of gateways) await gw.store.close()
  })

  it('a wrong GATEHOUSE_MASTER_KEY is a clear start-up error, not garbage keys', async () => {
    const dir = tempDir()
    const first = await startGateway({ ...testConfig({}, dir), port: 0 }, { logger: createLogger('silent') })
    await first.close()
    const wrong = { ...testConfig({ GATEHOUSE_MASTER_KEY: OTHER_MASTER_KEY }, dir), port: 0 }
    await expect(startGateway(wrong, { logger: createLogger('silent') })).rejects.toMatchObject({
      code: 'ERR_MASTER_KEY_MISMATCH',
      message: expect.stringMatching(/GATEHOUSE_MASTER_KEY/),
    })
    // Nothing was added under the wrong key: the right one still starts.
    const again = await startGateway({ ...testConfig({}, dir), port: 0 }, { logger: createLogger('silent') })
    expect(kidsOf(await again.gateway.core.keys.jwks())).toHaveLength(1)
    await again.close()
  })

  it('the gateway process exits 1 naming GATEHOUSE_MASTER_KEY', async () => {
    const dir = tempDir()
    const env = { GATEHOUSE_DATA_DIR: dir, DATABASE_URL: `file:${join(dir, 'g.db')}`, PORT: '0', LOG_LEVEL: 'warn' }
    const first = await startGateway({ ...testConfig({ DATABASE_URL: env.DATABASE_URL }, dir), port: 0 }, { logger: createLogger('silent') })
    await first.close()
    const proc = spawnTs('apps/gateway/src/main.ts', [], { ...env, GATEHOUSE_MASTER_KEY: OTHER_MASTER_KEY })
    expect(await proc.exited).toBe(1)
    expect(proc.stderr()).toMatch(/ERR_MASTER_KEY_MISMATCH/)
    expect(proc.stderr()).toMatch(/GATEHOUSE_MASTER_KEY/)
  })

  it('/readyz fails while no usable signing key exists', async () => {
    const dir = tempDir()
    const config = testConfig({ LOG_LEVEL: 'silent' }, dir)
    const store = createSqliteStore({ path: (config.database as { path: string }).path })
    const deps = { config, store, clock: new FakeClock(), hasher: createPasswordHasher(), logger: createLogger('silent') }
    // Not initialised: the store holds no key yet.
    const empty = createGateway(deps)
    const res = await empty.app.request('/readyz')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 'ERR_NOT_READY', failed: ['signing_key'] })
    await empty.core.keys.init()
    expect((await empty.app.request('/readyz')).status).toBe(200)
    // A gateway whose master key does not open the key is not ready either.
    const wrong = createGateway({ ...deps, config: testConfig({ GATEHOUSE_MASTER_KEY: OTHER_MASTER_KEY, LOG_LEVEL: 'silent' }, dir) })
    expect(await (await wrong.app.request('/readyz')).json()).toMatchObject({ failed: ['signing_key'] })
    await store.close()
  })
})

describe('POST /admin/keys/rotate', () => {
  it('needs a session (401) and the admin role (403)', async () => {
    const gw = await makeGateway()
    const before = kidsOf(await servedJwks(gw))
    const user = await loggedIn(gw, 'bob', ['user'])
    const res401 = await gw.request('/admin/keys/rotate', { method: 'POST' })
    expect(res401.status).toBe(401)
    expect(await res401.json()).toMatchObject({ code: 'ERR_UNAUTHENTICATED' })
    const res403 = await rotate(gw, user.cookie)
    expect(res403.status).toBe(403)
    expect(await res403.json()).toMatchObject({ code: 'ERR_FORBIDDEN' })
    expect(kidsOf(await servedJwks(gw))).toEqual(before)
  })

  it('refuses a malformed body', async () => {
    const gw = await makeGateway()
    const admin = await loggedIn(gw, 'root', ['admin'])
    expect((await rotate(gw, admin.cookie, { emergency: 'yes' })).status).toBe(400)
    expect((await rotate(gw, admin.cookie, { emergncy: true })).status).toBe(400)
    expect(kidsOf(await servedJwks(gw))).toHaveLength(1)
  })

  it('a normal rotation: old tokens still verify, new ones carry the new kid, and it is audited', async () => {
    const gw = await makeGateway()
    const admin = await loggedIn(gw, 'root', ['admin'])
    const { subject } = await loggedIn(gw)
    const old = await gw.core.tokens.tokenFor(subject, 'orders')
    const oldKid = decodeProtectedHeader(old).kid

    const res = await rotate(gw, admin.cookie, {})
    expect(res.status).toBe(200)
    const body = (await res.json()) as { kid: string; emergency: boolean; retired: string[] }
    expect(body).toMatchObject({ emergency: false, retired: [oldKid], alg: 'EdDSA' })
    expect(body.kid).not.toBe(oldKid)
    expect(kidsOf(await servedJwks(gw))).toEqual([body.kid, oldKid])

    const verifier = await verifierFor(gw, 'orders')
    await expect(verifier.verify(old)).resolves.toBeDefined()
    // The new key is published at once but signs only after the activation delay, so a service
    // that fetched the JWKS just before may fetch it again when it first meets the new kid.
    expect(decodeProtectedHeader(await gw.core.tokens.tokenFor(subject, 'orders', { fresh: true })).kid).toBe(oldKid)
    gw.clock.advance(40_000)
    gw.core.keys.refresh()
    const fresh = await gw.core.tokens.tokenFor(subject, 'orders')
    expect(decodeProtectedHeader(fresh).kid).toBe(body.kid)
    await expect(verifier.verify(fresh)).resolves.toBeDefined()

    const [event] = await gw.store.listAudit({ type: 'key.rotated' })
    expect(event).toMatchObject({ userId: admin.user.id, details: { kid: body.kid, emergency: false, by: `admin:${admin.user.id}` } })
  })

  it('an emergency rotation drops the old keys from the JWKS at once: their tokens fail', async () => {
    const gw = await makeGateway()
    const admin = await loggedIn(gw, 'root', ['admin'])
    const { subject } = await loggedIn(gw)
    const old = await gw.core.tokens.tokenFor(subject, 'orders')
    await expect((await verifierFor(gw, 'orders')).verify(old)).resolves.toBeDefined()
    await rotate(gw, admin.cookie) // a normal one first: two old keys now
    const res = await rotate(gw, admin.cookie, { emergency: true })
    expect(res.status).toBe(200)
    const { kid } = (await res.json()) as { kid: string }
    expect(kidsOf(await servedJwks(gw))).toEqual([kid])

    const verifier = await verifierFor(gw, 'orders')
    await expect(verifier.verify(old)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' })
    const fresh = await gw.core.tokens.tokenFor(subject, 'orders')
    expect(decodeProtectedHeader(fresh).kid).toBe(kid)
    await expect(verifier.verify(fresh)).resolves.toBeDefined()
    expect((await gw.store.listAudit({ type: 'key.rotated' }))[0]).toMatchObject({ details: { kid, emergency: true } })
  })

  it('a rotated-out key leaves the JWKS by itself once every token it signed has expired', async () => {
    const gw = await makeGateway()
    const admin = await loggedIn(gw, 'root', ['admin'])
    const { subject } = await loggedIn(gw)
    gw.clock.advance(0.8 * 300_000 - 1)
    // The last token the old key signs (the cache would hand it out for 240 s more).
    const last = await gw.core.tokens.tokenFor(subject, 'orders', { fresh: true })
    const oldKid = decodeProtectedHeader(last).kid
    const { kid } = (await (await rotate(gw, admin.cookie)).json()) as { kid: string }

    gw.clock.advance(gw.core.keys.publishWindowMs - 1)
    expect(kidsOf(await servedJwks(gw))).toEqual([kid, oldKid])
    // Every token of the old key has expired by now, clock skew allowed for.
    expect(decodeJwt(last).exp! * 1000 + 60_000).toBeLessThan(gw.clock.now())
    gw.clock.advance(1)
    expect(kidsOf(await servedJwks(gw))).toEqual([kid])
  })
})

describe('pnpm gatehouse keys rotate', () => {
  it('rotates for a running gateway, which picks the new key up; --emergency unpublishes the old', async () => {
    const dir = tempDir()
    const gw = await makeGateway({ dir })
    const { subject } = await loggedIn(gw)
    const oldKid = decodeProtectedHeader(await gw.core.tokens.tokenFor(subject, 'orders')).kid

    const run = cliIo(dir)
    expect(await runCli(['keys', 'rotate'], run.io, gw.clock)).toBe(0)
    expect(run.out.join()).toMatch(/new signing key/)
    const [event] = await gw.store.listAudit({ type: 'key.rotated' })
    expect(event).toMatchObject({ details: { emergency: false, by: expect.stringMatching(/^cli:/) } })
    const newKid = (event!.details as { kid: string }).kid

    // The gateway re-reads the store within its refresh interval (10 s by its clock) and
    // publishes the new key; it signs with it once the activation delay (40 s) has passed.
    gw.clock.advance(10_000)
    expect(kidsOf(await servedJwks(gw))).toEqual([newKid, oldKid])
    expect(decodeProtectedHeader(await gw.core.tokens.tokenFor(subject, 'orders', { fresh: true })).kid).toBe(oldKid)
    gw.clock.advance(30_000)
    gw.core.keys.refresh()
    expect(decodeProtectedHeader(await gw.core.tokens.tokenFor(subject, 'orders')).kid).toBe(newKid)

    expect(await runCli(['keys', 'rotate', '--emergency'], cliIo(dir).io, gw.clock)).toBe(0)
    gw.core.keys.refresh()
    expect(kidsOf(await servedJwks(gw))).toHaveLength(1)
    expect(kidsOf(await servedJwks(gw))).not.toContain(newKid)
  })

  it('bad usage exits 2; a wrong master key exits 1 and adds no key', async () => {
    const dir = tempDir()
    const gw = await makeGateway({ dir })
    const before = kidsOf(await servedJwks(gw))
    for (const argv of [['keys'], ['keys', 'spin'], ['keys', 'rotate', '--bogus'], ['keys', 'rotate', 'extra']]) {
      const run = cliIo(dir)
      expect(await runCli(argv, run.io), argv.join(' ')).toBe(2)
      expect(run.err.join()).toMatch(/usage: pnpm gatehouse/)
    }
    const wrong = cliIo(dir, { env: { GATEHOUSE_MASTER_KEY: OTHER_MASTER_KEY } })
    expect(await runCli(['keys', 'rotate'], wrong.io)).toBe(1)
    expect(wrong.err.join()).toMatch(/ERR_MASTER_KEY_MISMATCH.*GATEHOUSE_MASTER_KEY/)
    gw.core.keys.refresh()
    expect(kidsOf(await servedJwks(gw))).toEqual(before)
  })
})
