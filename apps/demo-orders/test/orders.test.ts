import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedToken, tamperedToken, unsignedToken } from '../../gateway/test/forged-tokens.js'
import { json, rawRequest, type ProxyGateway, type TestUpstream } from '../../gateway/test/proxy-helpers.js'
import { startServiceBehindGateway, type ServiceBehindGateway } from '../../gateway/test/service-behind-gateway.js'
import { createOrdersApp } from '../src/app.js'

let stack: ServiceBehindGateway
let gw: ProxyGateway
let ordersUrl: string
let received: (string | undefined)[]
let profile: TestUpstream
let alice: string
let bob: string
let root: string

beforeAll(async () => {
  stack = await startServiceBehindGateway({ name: 'orders', otherName: 'profile', createApp: (verifier) => createOrdersApp({ verifier }) })
  ;({ gw, serviceUrl: ordersUrl, received, other: profile } = stack)
  alice = await gw.login('alice')
  bob = await gw.login('bob')
  root = await gw.login('root', ['user', 'admin'])
})
afterAll(() => stack.close())

const viaGateway = (path: string, cookie: string, init: { method?: string; body?: unknown } = {}) =>
  rawRequest(gw.url, `/api/orders${path}`, {
    method: init.method ?? 'GET',
    headers: { cookie, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
const direct = (path: string, token?: string) => rawRequest(ordersUrl, path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

/** The genuine token the gateway sent with the last request that reached the orders service. */
const lastToken = () => received.at(-1)!.slice('Bearer '.length)

describe('demo orders through the gateway', () => {
  it("lists the caller's own seeded orders, the same on every visit", async () => {
    const first = await viaGateway('/orders', alice)
    expect(first.status).toBe(200)
    const list = json(first).orders as { id: string; userId: string }[]
    expect(list.length).toBeGreaterThanOrEqual(2)
    expect(json(await viaGateway('/orders', alice)).orders).toEqual(list)
    const bobs = json(await viaGateway('/orders', bob)).orders as { userId: string }[]
    expect(new Set(bobs.map((o) => o.userId)).size).toBe(1)
    expect(bobs[0]!.userId).not.toBe(list[0]!.userId)
  })

  it("creates an order, shows it to its owner and hides it from anyone else (404)", async () => {
    const created = await viaGateway('/orders', alice, { method: 'POST', body: { item: 'green tea', quantity: 2 } })
    expect(created.status).toBe(201)
    const order = json(created).order as { id: string; item: string }
    expect(order.item).toBe('green tea')
    expect((json(await viaGateway('/orders', alice)).orders as { id: string }[]).map((o) => o.id)).toContain(order.id)
    expect((await viaGateway(`/orders/${order.id}`, alice)).status).toBe(200)
    const other = await viaGateway(`/orders/${order.id}`, bob)
    expect(other.status).toBe(404)
    expect((await viaGateway('/orders', alice, { method: 'POST', body: { item: '' } })).status).toBe(400)
  })
})

describe('demo orders refuses what did not come through the gateway', () => {
  it('accepts the genuine token the gateway sent, replayed directly', async () => {
    await viaGateway('/orders', alice)
    const res = await direct('/orders', lastToken())
    expect(res.status).toBe(200)
  })

  it('401 without a token', async () => {
    const res = await direct('/orders')
    expect(res.status).toBe(401)
    expect(json(res).code).toBe('ERR_TOKEN_MISSING')
    expect((await direct('/admin/orders')).status).toBe(401)
  })

  it('401 for forged tokens', async () => {
    await viaGateway('/orders', alice)
    const real = lastToken()
    const forged = {
      tampered: tamperedToken(real, { roles: ['user', 'admin'] }),
      selfSigned: selfSignedToken(real, { sub: 'someone-else' }),
      unsigned: unsignedToken(real),
      garbage: 'not.a.token',
    }
    for (const [kind, token] of Object.entries(forged)) {
      const res = await direct('/orders', token)
      expect(res.status, kind).toBe(401)
    }
    expect(json(await direct('/orders', forged.tampered)).code).toBe('ERR_SIGNATURE_INVALID')
    expect(json(await direct('/orders', forged.unsigned)).code).toBe('ERR_ALG_NOT_ALLOWED')
  })

  it('401 for a genuine token minted for another audience', async () => {
    await rawRequest(gw.url, '/api/profile/me', { headers: { cookie: alice } })
    const profileToken = profile.seen.at(-1)!.headers.authorization!.slice('Bearer '.length)
    const res = await direct('/orders', profileToken)
    expect(res.status).toBe(401)
    expect(json(res).code).toBe('ERR_AUDIENCE_INVALID')
  })
})

describe('demo orders admin route', () => {
  it('is refused to a non-admin at the gateway, which never calls the service', async () => {
    const before = received.length
    const res = await viaGateway('/admin/orders', alice)
    expect(res.status).toBe(403)
    expect(json(res).code).toBe('ERR_FORBIDDEN')
    expect(received.length).toBe(before)
  })

  it('is refused by the service too, to a non-admin token that reaches it', async () => {
    await viaGateway('/orders', alice)
    const res = await direct('/admin/orders', lastToken())
    expect(res.status).toBe(403)
    expect(json(res).code).toBe('ERR_INSUFFICIENT_ROLE')
  })

  it("shows an admin every user's orders", async () => {
    await viaGateway('/orders', bob)
    const res = await viaGateway('/admin/orders', root)
    expect(res.status).toBe(200)
    const users = new Set((json(res).orders as { userId: string }[]).map((o) => o.userId))
    expect(users.size).toBeGreaterThanOrEqual(2)
  })
})

describe('GET /token: what the orders service verified, for the demo\'s "under the hood" view', () => {
  it('echoes the verified header (alg, kid of a published key, typ) and claims with aud "orders", never the token', async () => {
    const res = await viaGateway('/token', alice)
    expect(res.status).toBe(200)
    const body = json(res) as { service: string; header: { alg: string; kid: string; typ: string }; claims: Record<string, unknown> }
    expect(body.service).toBe('orders')
    const token = lastToken()
    expect(res.body.toString()).not.toContain(token)
    expect(res.body.toString()).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
    expect(body.header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' })
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((k) => k.kid)).toContain(body.header.kid)
    expect(body.claims).toMatchObject({ aud: 'orders', client_id: 'gatehouse' })
    expect(typeof body.claims.jti).toBe('string')
  })

  it('answers 401 to a call that bypasses the gateway', async () => {
    expect((await direct('/token')).status).toBe(401)
  })
})
