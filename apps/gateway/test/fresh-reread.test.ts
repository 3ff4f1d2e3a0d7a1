import { describe, expect, it } from 'vitest'
import type { SessionState, Store, User } from '@gatehouse/store'
import { createPasswordHasher } from '../src/auth/passwords.js'
import type { GatewayConfig } from '../src/config/config.js'
import { createCore } from '../src/core.js'
import { openStore } from '../src/open-store.js'
import { FakeClock, PASSWORD, testConfig, USER_AGENT } from './helpers.js'

const ORIGIN = { clientIp: '203.0.113.9', userAgent: USER_AGENT }

/**
 * A real store seen through a cache that lags, as a gateway's may in the strict direction for a
 * moment (another gateway rotated or touched the session; the announcement is on its way): plain
 * lookups answer what was read first, `{ fresh: true }` reads the store.
 */
function laggingView(store: Store) {
  const first = new Map<string, { session: SessionState; user: User }>()
  const fresh: string[] = []
  const view: Store = {
    ...store,
    async findSessionWithUser(id, options) {
      if (options?.fresh === true) {
        fresh.push(id)
        return store.findSessionWithUser(id)
      }
      const seen = first.get(id)
      if (seen !== undefined) return seen
      const found = await store.findSessionWithUser(id)
      if (found !== null) first.set(id, found)
      return found
    },
  }
  return { view, fresh }
}

async function twoGateways(env: Record<string, string>) {
  const config: GatewayConfig = testConfig(env)
  const clock = new FakeClock()
  const store = await openStore(config)
  const hasher = createPasswordHasher()
  const lagging = laggingView(store)
  const a = createCore({ config, store: lagging.view, clock, hasher })
  const b = createCore({ config, store, clock, hasher })
  const user = await b.users.create({ username: 'alice', password: PASSWORD, roles: ['user'] }, { actor: 'test' })
  const started = await b.sessions.start(user, { deviceName: 'Laptop', ...ORIGIN })
  const value = (setCookie: string) => setCookie.split(';')[0]!.split('=').slice(1).join('=')
  return { config, clock, store, a, b, fresh: lagging.fresh, session: started.session, cookie: value(started.setCookie), value }
}

describe('a refusal is decided on a fresh read, never on a lagging cache', () => {
  it('a rotation on B, then the new cookie on A (whose cache holds the old credential): accepted, not taken for reuse', async () => {
    const { clock, store, a, b, fresh, session, cookie, value } = await twoGateways({ GATEHOUSE_ROTATE_EVERY: '300', GATEHOUSE_ROTATE_GRACE: '30' })
    expect((await a.sessions.authenticate(cookie, ORIGIN)).ok).toBe(true) // A's view now holds the row
    clock.advance(300_000)
    const onB = await b.sessions.authenticate(cookie, ORIGIN)
    expect(onB.ok && onB.setCookie).toBeTruthy()
    const rotated = value((onB as { setCookie: string }).setCookie)

    const onA = await a.sessions.authenticate(rotated, ORIGIN)
    expect(onA.ok).toBe(true)
    expect(fresh).toEqual([session.id])
    expect((await store.findSession(session.id))?.revokedAt).toBeNull()
  })

  it("B touched the session (a later idle deadline); A's cache holds the old one: A does not expire it", async () => {
    const { clock, store, a, b, fresh, session, cookie } = await twoGateways({ GATEHOUSE_IDLE_TTL: '600', GATEHOUSE_ROTATE_EVERY: '3600' })
    expect((await a.sessions.authenticate(cookie, ORIGIN)).ok).toBe(true)
    clock.advance(400_000)
    expect((await b.sessions.authenticate(cookie, ORIGIN)).ok).toBe(true) // B moves the idle deadline
    clock.advance(400_000) // past the deadline A's cache holds, well before the one B wrote
    expect(await a.sessions.authenticate(cookie, ORIGIN)).toMatchObject({ ok: true })
    expect(fresh).toEqual([session.id])
    expect((await store.findSession(session.id))?.revokedAt).toBeNull()
  })

  it('the happy path makes no fresh read', async () => {
    const { a, fresh, cookie } = await twoGateways({})
    for (let i = 0; i < 5; i++) expect((await a.sessions.authenticate(cookie, ORIGIN)).ok).toBe(true)
    expect(fresh).toEqual([])
  })
})
