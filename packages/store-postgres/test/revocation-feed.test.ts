import { randomBytes } from 'node:crypto'
import { Client } from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPostgresStore, MAX_NOTIFY_PAYLOAD_BYTES, revocationPayloads, type PostgresStore } from '../src/index.js'
import { emptyDatabase } from './databases.js'
import { postgresForTests } from './pg-cluster.js'

const sessionId = () => randomBytes(16).toString('base64url')

/** Collects what a listener is given, and resolves waiters once a predicate holds. */
function recorder() {
  const calls: string[][] = []
  let waiters: Array<{ until: () => boolean; resolve: () => void }> = []
  const listener = (ids: string[]) => {
    calls.push(ids)
    waiters = waiters.filter((w) => (w.until() ? (w.resolve(), false) : true))
  }
  const waitFor = (until: () => boolean) => (until() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ until, resolve })))
  return { calls, listener, waitFor, ids: () => calls.flat() }
}

describe('revocationPayloads', () => {
  it('splits ids into payloads under the NOTIFY limit, in order, none lost', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `sess-ü-${i}-€` : sessionId()))
    const payloads = revocationPayloads('me', ids)
    expect(payloads.length).toBeGreaterThan(5)
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000)
    expect(payloads.flatMap((p) => (JSON.parse(p) as { from: string; ids: string[] }).ids)).toEqual(ids)
    expect(revocationPayloads('me', [])).toEqual([])
  })

  it('refuses an id no payload could hold', () => {
    expect(() => revocationPayloads('me', ['x'.repeat(MAX_NOTIFY_PAYLOAD_BYTES)])).toThrow(RangeError)
  })
})

const pg = await postgresForTests('store-postgres revocation feed')

describe.skipIf(pg.cluster === undefined)(`revocation feed over LISTEN/NOTIFY${pg.skipReason ? ` (skipped: ${pg.skipReason})` : ''}`, () => {
  const database = emptyDatabase(pg.cluster!, 'feed')
  let url: string
  let a: PostgresStore
  let b: PostgresStore
  beforeEach(async () => {
    url = await database.reset()
    // A only publishes here: without a session cache it opens no listener until asked to.
    ;[a, b] = await Promise.all([createPostgresStore({ url, sessionCache: false }), createPostgresStore({ url })])
  })
  afterEach(async () => {
    await Promise.all([a.close(), b.close()])
  })
  afterAll(async () => {
    await database.close()
    await pg.cluster?.stop()
  })

  it('B hears what A publishes; A does not hear itself', async () => {
    const heardByA = recorder()
    const heardByB = recorder()
    a.revocations.onRevoked(heardByA.listener)
    b.revocations.onRevoked(heardByB.listener)
    await Promise.all([a.revocations.ready(), b.revocations.ready()])
    const [x1, x2, y] = [sessionId(), sessionId(), sessionId()]
    await a.revocations.publishRevoked([x1, x2])
    await heardByB.waitFor(() => heardByB.ids().length >= 2)
    expect(heardByB.calls).toEqual([[x1, x2]])
    // A's own notification reached A's listener connection before B's later one (one server,
    // commit order); so once A has B's, A has already dropped its own.
    await b.revocations.publishRevoked([y])
    await heardByA.waitFor(() => heardByA.calls.length >= 1)
    expect(heardByA.calls).toEqual([[y]])
    expect(heardByB.calls).toEqual([[x1, x2]])
  })

  it('a large revocation arrives whole, in chunks each under the NOTIFY limit', async () => {
    const heard = recorder()
    b.revocations.onRevoked(heard.listener)
    await b.revocations.ready()
    const ids = Array.from({ length: 2000 }, sessionId)
    // Postgres itself refuses a payload of 8000 bytes or more, so a success here proves the chunking.
    await a.revocations.publishRevoked(ids)
    await heard.waitFor(() => heard.ids().length >= ids.length)
    expect(heard.calls.length).toBeGreaterThan(1)
    expect(heard.ids()).toEqual(ids)
  })

  it('splits where one more id would make a payload of 8000 bytes, which Postgres refuses', async () => {
    const heard = recorder()
    b.revocations.onRevoked(heard.listener)
    await b.revocations.ready()
    // The sender id is a UUID: 36 characters, whoever sends.
    const frame = Buffer.byteLength(`{"from":"${'u'.repeat(36)}","ids":[]}`)
    // Alone, the long id makes a 7995-byte payload; the short one would add 5 (quotes, comma).
    const long = 'l'.repeat(7995 - frame - 2)
    await a.revocations.publishRevoked([long, 'ab'])
    await heard.waitFor(() => heard.ids().length >= 2)
    expect(heard.calls).toEqual([[long], ['ab']])
  })

  it('unsubscribing stops the calls; other listeners and foreign payloads on the channel are unaffected', async () => {
    const gone = recorder()
    const stays = recorder()
    const unsubscribe = b.revocations.onRevoked(gone.listener)
    b.revocations.onRevoked(stays.listener)
    await b.revocations.ready()
    unsubscribe()
    const admin = new Client({ connectionString: url })
    await admin.connect()
    await admin.query(`select pg_notify('gatehouse_revocations', 'not json'), pg_notify('gatehouse_revocations', '{"from":"x","ids":[1]}')`)
    await admin.end()
    const id = sessionId()
    await a.revocations.publishRevoked([id])
    await stays.waitFor(() => stays.calls.length >= 1)
    expect(stays.calls).toEqual([[id]])
    expect(gone.calls).toEqual([])
  })

  it('a lost listener connection comes back, says so (onGap), and hears again', async () => {
    const heard = recorder()
    b.revocations.onRevoked(heard.listener)
    await b.revocations.ready()
    const gap = new Promise<void>((resolve) => b.revocations.onGap(resolve))
    const admin = new Client({ connectionString: url })
    await admin.connect()
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'gatehouse-revocations' and datname = current_database()`)
    await admin.end()
    expect(killed.rowCount).toBe(1)
    await gap
    await b.revocations.ready()
    const id = sessionId()
    await a.revocations.publishRevoked([id])
    await heard.waitFor(() => heard.calls.length >= 1)
    expect(heard.calls).toEqual([[id]])
  })
})
