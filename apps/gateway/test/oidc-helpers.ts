import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { expect } from 'vitest'
import { DEMO_USER, demoClient, startDemoIdp, type DemoIdp, type DemoUser } from '@gatehouse/demo-idp'
import { createMasterKeyCipher } from '@gatehouse/tokens'
import { openTokens } from '../src/oidc/token-bundle.js'
import { cookiePair, FakeClock, makeGateway, MASTER_KEY, ORIGIN, tempDir, type TestGateway } from './helpers.js'

export const CLIENT_SECRET = 'test-idp-client-secret-0123456789abcdef'
export const BOB: DemoUser = { sub: 'bob-0002', username: 'bob', password: 'bob-at-the-idp', name: 'Bob', email: 'bob@idp.example', roles: ['user', 'auditor'] }

/** A real OpenID Provider (oidc-provider) on a free port: the gateway's client, and another app's. */
export async function startTestIdp(options: { accessTokenTtlS?: number; port?: number; backchannelLogoutUri?: string } = {}): Promise<DemoIdp> {
  const gatewayClient = demoClient(ORIGIN, CLIENT_SECRET, 'demo')
  if (options.backchannelLogoutUri !== undefined) gatewayClient.backchannel_logout_uri = options.backchannelLogoutUri
  return startDemoIdp({
    ...(options.port === undefined ? {} : { port: options.port }),
    clients: [
      gatewayClient,
      { ...demoClient('http://other-app.example', 'another-apps-secret-0123456789abcdef', 'demo'), client_id: 'other-app' },
    ],
    users: [DEMO_USER, BOB],
    ...(options.accessTokenTtlS === undefined ? {} : { accessTokenTtlS: options.accessTokenTtlS }),
  })
}

export interface OidcGatewayOptions {
  provider?: Record<string, unknown>
  config?: Record<string, unknown>
  fetch?: typeof fetch
  dir?: string
  clock?: FakeClock
  upstreams?: string
}

/** A gateway whose GATEHOUSE_CONFIG declares the IdP as provider "demo". */
export async function oidcGateway(idp: { issuer: string }, options: OidcGatewayOptions = {}): Promise<TestGateway> {
  const dir = options.dir ?? tempDir()
  const file = join(dir, 'gatehouse.json')
  const provider = { name: 'demo', issuer: idp.issuer, clientId: 'gatehouse-demo', clientSecretEnv: 'DEMO_SECRET', createUsers: true, ...options.provider }
  writeFileSync(file, JSON.stringify({ providers: [provider], ...options.config }, null, 2))
  return makeGateway({
    dir,
    // The IdP's tokens carry real times: the gateway's clock starts at the real now.
    clock: options.clock ?? new FakeClock(Date.now()),
    env: { GATEHOUSE_CONFIG: file, DEMO_SECRET: CLIENT_SECRET, ...(options.upstreams ? { GATEHOUSE_UPSTREAMS: options.upstreams } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
}

/** A browser's cookies for one site, by name (paths ignored: enough for the IdP's own cookies). */
class Jar {
  private cookies = new Map<string, string>()
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
  header() {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
}

/** A browser at the IdP: follows its redirects and posts its login form, until it is sent back to the gateway. */
export class IdpBrowser {
  readonly jar = new Jar()
  constructor(private readonly user: DemoUser = DEMO_USER) {}

  private async get(url: string): Promise<Response> {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.jar.header() } })
    this.jar.take(res)
    return res
  }

  /** From the authorization URL to the redirect back to the gateway (the callback URL, with code and state). */
  async authorize(authorizationUrl: string): Promise<URL> {
    let url = authorizationUrl
    for (let hop = 0; hop < 10; hop++) {
      if (url.startsWith(ORIGIN) || url.startsWith('http://other-app.example')) return new URL(url)
      const res = await this.get(url)
      if (res.status === 200 && new URL(url).pathname.startsWith('/interaction/')) {
        await res.text()
        const post = await fetch(`${url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: this.user.username, password: this.user.password }),
        })
        this.jar.take(post)
        url = new URL(post.headers.get('location')!, url).href
        continue
      }
      const location = res.headers.get('location')
      if (location === null) throw new Error(`the IdP answered ${res.status} at ${url}: ${await res.text()}`)
      url = new URL(location, url).href
    }
    throw new Error('too many redirects at the IdP')
  }
}

/** The browser's side of `/auth/oidc/demo/login`: the binding cookie and the IdP URL. */
export async function startLogin(gw: TestGateway, returnTo = '/orders', cookie?: string) {
  const res = await gw.request(`/auth/oidc/demo/login?returnTo=${encodeURIComponent(returnTo)}`, cookie === undefined ? {} : { cookie })
  expect(res.status).toBe(302)
  const binding = res.headers.getSetCookie().find((h) => h.startsWith('gatehouse-oidc='))!.split(';')[0]!
  return { binding, authorizationUrl: res.headers.get('location')! }
}

/** Back at the gateway with the IdP's answer. */
export function callback(gw: TestGateway, url: URL, cookie: string) {
  return gw.request(url.pathname + url.search, { cookie })
}

/** The whole redirect flow: returns the session cookie pair and the callback's response. */
export async function loginViaIdp(gw: TestGateway, user: DemoUser = DEMO_USER, returnTo = '/orders') {
  const { binding, authorizationUrl } = await startLogin(gw, returnTo)
  const back = await new IdpBrowser(user).authorize(authorizationUrl)
  const res = await callback(gw, back, binding)
  const session = cookiePair(res)
  return { res, session, binding, cookie: session === undefined ? binding : `${binding}; ${session}` }
}

/**
 * The gateways of these tests answer `app.request` and listen nowhere, so the IdP's back-channel
 * logout calls reach them through this relay: a real HTTP server on a free port that hands each
 * request to the current gateway.
 */
export async function startRelay() {
  let target: TestGateway | undefined
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v
    const answer = await target!.app.request(req.url!, { method: req.method!, headers, body: Buffer.concat(chunks).toString() })
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(await answer.text())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    to(gw: TestGateway) {
      target = gw
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The IdP's tokens of a session, as the gateway keeps them (tests only: they hold the master key). */
export async function idpTokensOf(gw: TestGateway, sessionId: string) {
  const record = (await gw.store.findIdpSession(sessionId))!
  return { record, tokens: openTokens(createMasterKeyCipher(MASTER_KEY), sessionId, record.tokensEnc) }
}

/** The id of the one live session of a user. */
export async function sessionIdOf(gw: TestGateway, username: string): Promise<string> {
  const user = (await gw.store.findUserByUsername(username))!
  const [session] = await gw.store.listActiveSessions(user.id, gw.clock.now())
  return session!.id
}
