import * as client from 'openid-client'
import type { Store, User } from '@gatehouse/store'
import type { MasterKeyCipher } from '@gatehouse/tokens'
import type { AuditLog, AuditOrigin } from '../audit.js'
import type { Clock } from '../clock.js'
import type { SessionManager, StartedSession } from '../session/session-manager.js'
import type { IdentityUsers } from './identity-users.js'
import type { LoginTransactions } from './login-transactions.js'
import type { ProviderHandle } from './provider-registry.js'
import { sealTokens } from './token-bundle.js'
import { accessExpiry, isUnreachable } from './token-response.js'

/** Why a callback created no session: the `loginError` the app is sent back with. */
export type LoginFailure =
  | 'state_missing'
  | 'state_unknown'
  | 'browser_mismatch'
  | 'provider_mismatch'
  | 'idp_error'
  | 'code_rejected'
  | 'response_invalid'
  | 'idp_unavailable'
  | 'not_linked'
  | 'suspended'

export type CallbackResult =
  | { ok: true; user: User; started: StartedSession; returnTo: string }
  | { ok: false; failure: LoginFailure; detail?: string }

export interface LoginFlowDeps {
  store: Store
  clock: Clock
  cipher: MasterKeyCipher
  audit: AuditLog
  sessions: SessionManager
  transactions: LoginTransactions
  identities: IdentityUsers
  publicOrigin: string
}

export const redirectUri = (publicOrigin: string, provider: string) => `${publicOrigin}/auth/oidc/${provider}/callback`

/** The answers openid-client gives for each check that fails, named for the audit trail. */
function classify(error: unknown): { failure: LoginFailure; detail: string } {
  if (error instanceof client.AuthorizationResponseError) return { failure: 'idp_error', detail: error.error }
  if (error instanceof client.ResponseBodyError) return { failure: 'code_rejected', detail: error.error }
  if (isUnreachable(error)) return { failure: 'idp_unavailable', detail: 'unreachable' }
  const code = (error as { code?: unknown }).code
  return { failure: 'response_invalid', detail: typeof code === 'string' ? code : 'invalid' }
}

export function createLoginFlow(deps: LoginFlowDeps) {
  const { store, clock, cipher, sessions, transactions, identities } = deps

  return {
    /** The IdP's authorization URL for a new transaction bound to this browser. */
    async begin(handle: ProviderHandle, browserValue: string, returnTo: string): Promise<URL> {
      const { client: config, settings } = await handle.forLogin()
      const codeVerifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const nonce = client.randomNonce()
      await transactions.create(state, settings.name, browserValue, { codeVerifier, nonce, returnTo })
      return client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri(deps.publicOrigin, settings.name),
        scope: settings.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
    },

    /**
     * Checks the IdP's answer and, only when every check passes, starts a Gatehouse session. The
     * transaction is taken first, so a replayed state never reaches the IdP a second time.
     */
    async complete(
      handle: ProviderHandle,
      search: URLSearchParams,
      browserHash: string | undefined,
      device: { deviceName: string; clientIp: string; userAgent: string },
      previous: { sessionId: string; userId: string } | undefined,
    ): Promise<CallbackResult> {
      const state = search.get('state')
      if (state === null || state === '' || state.length > 512) return { ok: false, failure: 'state_missing' }
      const tx = await transactions.take(state)
      if (tx === null) return { ok: false, failure: 'state_unknown' }
      if (tx.provider !== handle.settings.name) return { ok: false, failure: 'provider_mismatch', detail: tx.provider }
      if (browserHash === undefined || browserHash !== tx.browserHash) return { ok: false, failure: 'browser_mismatch' }

      let discovered
      try {
        discovered = await handle.current()
      } catch {
        return { ok: false, failure: 'idp_unavailable' }
      }
      const { client: config, settings } = discovered
      const currentUrl = new URL(`${redirectUri(deps.publicOrigin, settings.name)}?${search.toString()}`)
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
      try {
        // Checks state, RFC 9207 `iss`, the PKCE verifier (at the IdP), and the ID token:
        // signature by the IdP's keys, allowed algorithm, iss, aud, nonce, exp, iat.
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: tx.codeVerifier,
          expectedState: state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
        })
      } catch (error) {
        return { ok: false, ...classify(error) }
      }
      const claims = tokens.claims()
      if (claims === undefined) return { ok: false, failure: 'response_invalid', detail: 'no ID token' }
      const origin: AuditOrigin = { clientIp: device.clientIp, userAgent: device.userAgent }
      const resolved = await identities.resolve(settings, claims.iss, claims as Record<string, unknown>, origin)
      if (!resolved.ok) return { ok: false, failure: resolved.reason === 'suspended' ? 'suspended' : 'not_linked' }

      // A sign-in always starts a new session: whatever this browser held before ends here.
      if (previous !== undefined) await sessions.revoke(previous.sessionId, 'logout', { userId: previous.userId, ...origin })
      const started = await sessions.start(resolved.user, device)
      const now = clock.now()
      await store.saveIdpSession({
        sessionId: started.session.id,
        provider: settings.name,
        issuer: claims.iss,
        subject: claims.sub,
        idpSid: typeof claims.sid === 'string' ? claims.sid : null,
        tokensEnc: sealTokens(cipher, started.session.id, {
          accessToken: tokens.access_token,
          refreshToken: tokens.refresh_token,
          idToken: tokens.id_token,
        }),
        accessExpiresAt: accessExpiry(tokens, now),
        version: 0,
        refreshLeaseUntil: null,
        updatedAt: now,
      })
      return { ok: true, user: resolved.user, started, returnTo: tx.returnTo }
    },
  }
}

export type LoginFlow = ReturnType<typeof createLoginFlow>
