import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVerifier } from '@gatehouse/verify'
import { loadConfig } from '../src/config/env.js'
import { ConfigError } from '../src/errors.js'
import { ORIGIN, tempDir } from './helpers.js'
import { startProxyGateway, startUpstream, type ProxyGateway, type TestUpstream } from './proxy-helpers.js'

describe('GATEHOUSE_TOKEN_FORMAT=paseto', () => {
  let upstream: TestUpstream
  let gw: ProxyGateway
  beforeAll(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume()
      res.end('{}')
    })
    gw = await startProxyGateway({ upstreams: { orders: upstream.url }, env: { GATEHOUSE_TOKEN_FORMAT: 'paseto' } })
  })
  afterAll(async () => {
    await gw?.close(0)
    await upstream?.close()
  })

  it('sends the same claims as a PASETO v4.public token, kid in the footer, verifiable with the published keys', async () => {
    const cookie = await gw.login('alice')
    const res = await fetch(`${gw.url}/api/orders/orders`, { headers: { cookie } })
    expect(res.status).toBe(200)
    const token = String(upstream.seen.at(-1)!.headers.authorization).slice('Bearer '.length)
    expect(token).toMatch(/^v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    const footer = JSON.parse(Buffer.from(token.split('.')[3]!, 'base64url').toString('utf8')) as { kid: string }
    expect(jwks.keys.map((k) => k.kid)).toContain(footer.kid)
    const verifier = createVerifier({ issuer: ORIGIN, audience: 'orders', jwksUrl: `${gw.url}/.well-known/jwks.json`, format: 'paseto' })
    const claims = await verifier.verify(token)
    expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'])
    expect(claims).toMatchObject({ iss: ORIGIN, aud: 'orders', roles: ['user'], client_id: 'gatehouse' })
    expect(claims.exp - claims.iat).toBe(300)
    // A JWT verifier does not take it for a JWT.
    const jwtVerifier = createVerifier({ issuer: ORIGIN, audience: 'orders', jwksUrl: `${gw.url}/.well-known/jwks.json` })
    await expect(jwtVerifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED' })
  })

  it('reuses a minted PASETO from the token cache like a JWT (no signature per request)', async () => {
    const cookie = await gw.login('carol')
    await fetch(`${gw.url}/api/orders/orders`, { headers: { cookie } })
    await fetch(`${gw.url}/api/orders/orders`, { headers: { cookie } })
    const [first, second] = upstream.seen.slice(-2).map((r) => r.headers.authorization)
    expect(first).toBe(second)
  })

  it('after a key rotation, tokens carry the new kid and still verify', async () => {
    const cookie = await gw.login('bob')
    await gw.gateway.core.keys.rotate({ emergency: true })
    await fetch(`${gw.url}/api/orders/orders`, { headers: { cookie } })
    const token = String(upstream.seen.at(-1)!.headers.authorization).slice('Bearer '.length)
    const verifier = createVerifier({ issuer: ORIGIN, audience: 'orders', jwksUrl: `${gw.url}/.well-known/jwks.json`, format: 'paseto' })
    expect((await verifier.verify(token)).aud).toBe('orders')
    const kid = (JSON.parse(Buffer.from(token.split('.')[3]!, 'base64url').toString('utf8')) as { kid: string }).kid
    expect((await gw.gateway.core.keys.signingKey()).kid).toBe(kid)
  })

  it('refuses to start with a signing algorithm that is not Ed25519, naming the variable', () => {
    let caught: unknown
    try {
      loadConfig({ GATEHOUSE_DATA_DIR: tempDir(), GATEHOUSE_TOKEN_FORMAT: 'paseto', GATEHOUSE_SIGNING_ALG: 'RS256' }, tempDir())
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).variable).toBe('GATEHOUSE_TOKEN_FORMAT')
    expect((caught as ConfigError).message).toMatch(/EdDSA/)
  })
})
