import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedToken, tamperedToken, unsignedToken } from '../../gateway/test/forged-tokens.js'
import { ORIGIN } from '../../gateway/test/helpers.js'
import { json, rawRequest, type ProxyGateway, type TestUpstream } from '../../gateway/test/proxy-helpers.js'
import { startServiceBehindGateway, type ServiceBehindGateway } from '../../gateway/test/service-behind-gateway.js'
import { createProfileApp } from '../src/app.js'

let stack: ServiceBehindGateway
let gw: ProxyGateway
let profileUrl: string
let received: (string | undefined)[]
let orders: TestUpstream
let alice: string
let root: string

beforeAll(async () => {
  stack = await startServiceBehindGateway({ name: 'profile', otherName: 'orders', createApp: (verifier) => createProfileApp({ verifier }) })
  ;({ gw, serviceUrl: profileUrl, received, other: orders } = stack)
  alice = await gw.login('alice', ['user', 'beta'])
  root = await gw.login('root', ['user', 'admin'])
})
afterAll(() => stack.close())

const viaGateway = (path: string, cookie: string) => rawRequest(gw.url, `/api/profile${path}`, { headers: { cookie } })
const direct = (path: string, token?: string) => rawRequest(profileUrl, path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
const lastToken = () => received.at(-1)!.slice('Bearer '.length)

describe('demo profile through the gateway', () => {
  it('GET /me says who the token is for and what it said', async () => {
    const res = await viaGateway('/me', alice)
    expect(res.status).toBe(200)
    const me = json(res) as { sub: string; sid: string; roles: string[]; token: Record<string, unknown> }
    const session = (await (await fetch(`${gw.url}/auth/session`, { headers: { cookie: alice } })).json()) as {
      user: { id: string }
      session: { id: string }
    }
    expect(me.sub).toBe(session.user.id)
    expect(me.sid).toBe(session.session.id)
    expect([...me.roles].sort()).toEqual(['beta', 'user'])
    expect(me.token).toMatchObject({ iss: ORIGIN, aud: 'profile', sub: me.sub, sid: me.sid, client_id: 'gatehouse' })
    expect(typeof me.token.jti).toBe('string')
    expect(me.token.exp as number).toBeGreaterThan(me.token.iat as number)
  })
})

describe('demo profile refuses what did not come through the gateway', () => {
  it('accepts the genuine token the gateway sent, replayed directly', async () => {
    await viaGateway('/me', alice)
    expect((await direct('/me', lastToken())).status).toBe(200)
  })

  it('401 without a token, with a forged one, or with one for another audience', async () => {
    await viaGateway('/me', alice)
    const real = lastToken()
    expect(json(await direct('/me')).code).toBe('ERR_TOKEN_MISSING')
    expect(json(await direct('/me', tamperedToken(real, { sub: 'someone-else' }))).code).toBe('ERR_SIGNATURE_INVALID')
    expect((await direct('/me', selfSignedToken(real, { roles: ['admin'] }))).status).toBe(401)
    expect((await direct('/me', unsignedToken(real))).status).toBe(401)

    await rawRequest(gw.url, '/api/orders/orders', { headers: { cookie: alice } })
    const ordersToken = orders.seen.at(-1)!.headers.authorization!.slice('Bearer '.length)
    const other = await direct('/me', ordersToken)
    expect(other.status).toBe(401)
    expect(json(other).code).toBe('ERR_AUDIENCE_INVALID')
  })
})

describe('demo profile admin route', () => {
  it('is refused to a non-admin at the gateway, which never calls the service', async () => {
    const before = received.length
    const res = await viaGateway('/admin/stats', alice)
    expect(res.status).toBe(403)
    expect(received.length).toBe(before)
  })

  it('is refused by the service too, to a non-admin token that reaches it', async () => {
    await viaGateway('/me', alice)
    const res = await direct('/admin/stats', lastToken())
    expect(res.status).toBe(403)
    expect(json(res).code).toBe('ERR_INSUFFICIENT_ROLE')
  })

  it('answers an admin with the service statistics', async () => {
    const res = await viaGateway('/admin/stats', root)
    expect(res.status).toBe(200)
    expect(json(res)).toMatchObject({ users: 2 })
    expect(json(res).requests as number).toBeGreaterThan(1)
  })
})

describe('GET /token: what the profile service verified, for the demo\'s "under the hood" view', () => {
  it('echoes the verified header (alg, kid of a published key, typ) and claims with aud "profile", never the token', async () => {
    const res = await viaGateway('/token', alice)
    expect(res.status).toBe(200)
    const body = json(res) as { service: string; header: { alg: string; kid: string; typ: string }; claims: Record<string, unknown> }
    expect(body.service).toBe('profile')
    const token = lastToken()
    expect(res.body.toString()).not.toContain(token)
    expect(res.body.toString()).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
    expect(body.header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' })
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((k) => k.kid)).toContain(body.header.kid)
    expect(body.claims).toMatchObject({ aud: 'profile', client_id: 'gatehouse' })
    expect(typeof body.claims.jti).toBe('string')
  })

  it('answers 401 to a call that bypasses the gateway', async () => {
    expect((await direct('/token')).status).toBe(401)
  })
})
