import type { JSONWebKeySet } from 'jose'
import { createVerifier, type GatehouseVerifier } from '@gatehouse/verify'
import type { TokenSubject } from '@gatehouse/tokens'
import type { TestGateway } from './helpers.js'

/** What the proxy hands the issuer: the session as the app resolved it from the cookie. */
export async function subjectOf(gw: TestGateway, cookie: string): Promise<TokenSubject> {
  const res = await gw.request('/auth/session', { cookie })
  if (res.status !== 200) throw new Error(`no session: ${res.status}`)
  const body = (await res.json()) as { user: { id: string; roles: string[] }; session: { id: string } }
  return { sessionId: body.session.id, userId: body.user.id, roles: body.user.roles }
}

/** A user, logged in through the app, and the token subject of that session. */
export async function loggedIn(gw: TestGateway, username = 'alice', roles = ['user']) {
  const user = await gw.createUser(username, { roles })
  const cookie = await gw.login(username)
  return { user, cookie, subject: await subjectOf(gw, cookie) }
}

/** The JWKS exactly as the app serves it now. */
export async function servedJwks(gw: TestGateway): Promise<{ keys: Record<string, unknown>[] }> {
  const res = await gw.request('/.well-known/jwks.json')
  if (res.status !== 200) throw new Error(`jwks: ${res.status}`)
  return (await res.json()) as { keys: Record<string, unknown>[] }
}

/** @gatehouse/verify, as a backend service would run it, on the gateway's clock. */
export async function verifierFor(gw: TestGateway, audience: string, source: 'snapshot' | 'url' = 'snapshot'): Promise<GatehouseVerifier> {
  const common = { issuer: gw.config.publicOrigin, audience, now: () => new Date(gw.clock.now()) }
  if (source === 'snapshot') return createVerifier({ ...common, jwks: (await servedJwks(gw)) as unknown as JSONWebKeySet })
  return createVerifier({
    ...common,
    jwksUrl: `${gw.config.publicOrigin}/.well-known/jwks.json`,
    fetch: ((input: string | URL | Request, init?: RequestInit) => Promise.resolve(gw.app.request(String(input), init))) as typeof fetch,
  })
}

export const kidsOf = (jwks: { keys: Record<string, unknown>[] }) => jwks.keys.map((k) => k.kid as string)
