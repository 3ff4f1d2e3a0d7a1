import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import { createMasterKeyCipher } from '@gatehouse/tokens'
import type { AuditLog } from '../audit.js'
import type { Clock } from '../clock.js'
import type { GatewayConfig } from '../config/config.js'
import { oidcRoutes } from '../routes/oidc.js'
import type { SessionManager } from '../session/session-manager.js'
import type { UserAdmin } from '../users/user-admin.js'
import { createBackchannelLogout } from './backchannel-logout.js'
import { createIdentityUsers } from './identity-users.js'
import { createIdpAccess, type IdpAccess } from './idp-access.js'
import { createLoginFlow } from './login-flow.js'
import { createLoginTransactions } from './login-transactions.js'
import { createProviderRegistry, type ProviderRegistry } from './provider-registry.js'
import { createRpLogout, type RpLogout } from './rp-logout.js'

export interface OidcDeps {
  config: GatewayConfig
  store: Store
  clock: Clock
  logger: Logger
  audit: AuditLog
  sessions: SessionManager
  users: UserAdmin
  /** For every request to an IdP (tests pass one that plays a misbehaving IdP). */
  fetch?: typeof fetch
}

export interface Oidc {
  providers: ProviderRegistry
  /** Mount at `/auth/oidc`. */
  routes: ReturnType<typeof oidcRoutes>
  /** The IdP access token of a session, for `"token": "idp"` routes. */
  access: IdpAccess
  rpLogout: RpLogout
  /** The provider a session came from; null for a password login. */
  providerOf(sessionId: string): Promise<string | null>
}

/** Gatehouse as an OpenID Connect client (contract section 7). */
export function createOidc(deps: OidcDeps): Oidc {
  const { config, store, clock, logger, audit, sessions } = deps
  const cipher = createMasterKeyCipher(config.masterKey)
  const providers = createProviderRegistry({ providers: config.providers, logger, clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) })
  const flow = createLoginFlow({
    store,
    clock,
    cipher,
    audit,
    sessions,
    transactions: createLoginTransactions(store, cipher, clock),
    identities: createIdentityUsers({ store, clock, audit, users: deps.users }),
    publicOrigin: config.publicOrigin,
  })
  const backchannel = createBackchannelLogout({ store, clock, audit, sessions })
  return {
    providers,
    routes: oidcRoutes({ providers, flow, backchannel, audit, secureCookies: config.secureCookies, localLogin: config.localLogin }),
    access: createIdpAccess({ store, clock, cipher, providers, sessions, logger }),
    rpLogout: config.providers.length === 0 ? async () => null : createRpLogout({ store, cipher, providers, publicOrigin: config.publicOrigin, logger }),
    async providerOf(sessionId) {
      if (config.providers.length === 0) return null
      return (await store.findIdpSession(sessionId))?.provider ?? null
    },
  }
}
