import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientMetadata } from 'oidc-provider'
import { handleInteraction } from './interactions.js'

export interface DemoUser {
  sub: string
  username: string
  password: string
  name: string
  email: string
  roles: string[]
}

export interface DemoIdpOptions {
  /** 127.0.0.1 unless said otherwise. */
  host?: string
  /** 0: a free port. */
  port?: number
  /** Defaults to `http://<host>:<port>` once listening. */
  issuer?: string
  clients: ClientMetadata[]
  users: DemoUser[]
  /** Access token lifetime, seconds (default 300). */
  accessTokenTtlS?: number
  /** Its signing key (a private JWK with kid and alg); generated (RS256) when absent. */
  signingKey?: JWK
}

export interface DemoIdp {
  issuer: string
  port: number
  provider: Provider
  /** The private signing key: tests use it to play an IdP that issues bad tokens. */
  signingKey: JWK
  /** Sends the back-channel logout token of (sub, sid) to a client, as the IdP's logout would. */
  backchannelLogout(clientId: string, sub: string, sid: string): Promise<void>
  /** Forgets every grant of a user: its refresh tokens stop working (the IdP answers invalid_grant). */
  revokeGrants(sub: string): Promise<void>
  close(): Promise<void>
}

export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  return { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' }
}

/** Starts an OpenID Provider with its own login page, on a port of its own. */
export async function startDemoIdp(options: DemoIdpOptions): Promise<DemoIdp> {
  const host = options.host ?? '127.0.0.1'
  const signingKey = options.signingKey ?? (await generateSigningKey())
  const users = new Map(options.users.map((u) => [u.sub, u]))
  const grants = new Map<string, Set<string>>()

  // The issuer must be known before the provider is built, so the port is bound first.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end()
  const server: Server = createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const issuer = options.issuer ?? `http://${host}:${port}`

  const provider = new Provider(issuer, {
    clients: options.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], roles: ['roles'] },
    // Profile claims and roles in the ID token itself, as Keycloak and Entra ID put them.
    conformIdTokenClaims: false,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'roles'],
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    // oidc-provider refuses outgoing calls (back-channel logout) to loopback addresses, its SSRF
    // guard; the demo's one client, the gateway, listens on 127.0.0.1, so the guard's dispatcher is
    // dropped here. A real IdP keeps it.
    fetch: (url, init) => {
      const { dispatcher: _guard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown }
      return globalThis.fetch(url, rest)
    },
    // A refresh token for every code grant of a client allowed one, without offline_access consent.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: { AccessToken: options.accessTokenTtlS ?? 300, IdToken: 3600, Interaction: 600, Session: 86_400, Grant: 86_400, AuthorizationCode: 60, RefreshToken: 86_400 },
    async findAccount(_ctx, sub) {
      const user = users.get(sub)
      if (user === undefined) return undefined
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: user.name,
          preferred_username: user.username,
          email: user.email,
          email_verified: true,
          roles: user.roles,
        }),
      }
    },
  })
  provider.on('grant.saved', (grant: { accountId?: string; jti: string }) => {
    if (grant.accountId === undefined) return
    const set = grants.get(grant.accountId) ?? new Set()
    set.add(grant.jti)
    grants.set(grant.accountId, set)
  })
  const callback = provider.callback()
  handler = (req, res) => {
    handleInteraction(provider, users, req, res).then(
      (handled) => {
        if (!handled) callback(req, res)
      },
      () => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('interaction failed')
      },
    )
  }

  return {
    issuer,
    port,
    provider,
    signingKey,
    async backchannelLogout(clientId, sub, sid) {
      const client = await provider.Client.find(clientId)
      if (client === undefined) throw new Error(`no client ${clientId}`)
      // Present on every Client (the provider's own end-session action calls it); untyped in @types/oidc-provider.
      await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(sub, sid)
    },
    async revokeGrants(sub) {
      for (const id of grants.get(sub) ?? []) await (await provider.Grant.find(id))?.destroy()
      grants.delete(sub)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
