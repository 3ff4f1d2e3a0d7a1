import * as client from 'openid-client'
import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import type { MasterKeyCipher } from '@gatehouse/tokens'
import type { ProviderRegistry } from './provider-registry.js'
import { openTokens } from './token-bundle.js'

/**
 * For `POST /auth/logout` of a session from an IdP: the IdP's end-session URL (RP-initiated
 * logout, with `id_token_hint` and a way back to the app), and a function that revokes the
 * refresh token there (RFC 7009) once the local session has ended. Null for a password session.
 */
export function createRpLogout(deps: { store: Store; cipher: MasterKeyCipher; providers: ProviderRegistry; publicOrigin: string; logger: Logger }) {
  return async function prepare(sessionId: string): Promise<{ endSessionUrl: string | null; revokeAtIdp(): Promise<void> } | null> {
    const record = await deps.store.findIdpSession(sessionId)
    if (record === null) return null
    const handle = deps.providers.get(record.provider)
    const discovered = await handle?.current().catch(() => undefined)
    if (discovered === undefined) return { endSessionUrl: null, revokeAtIdp: async () => {} }
    const tokens = openTokens(deps.cipher, sessionId, record.tokensEnc)
    const metadata = discovered.client.serverMetadata()
    const endSessionUrl =
      metadata.end_session_endpoint === undefined
        ? null
        : client
            .buildEndSessionUrl(discovered.client, {
              ...(tokens.idToken === undefined ? {} : { id_token_hint: tokens.idToken }),
              client_id: discovered.settings.clientId,
              post_logout_redirect_uri: `${deps.publicOrigin}/`,
            })
            .href
    return {
      endSessionUrl,
      async revokeAtIdp() {
        if (metadata.revocation_endpoint === undefined) return
        const token = tokens.refreshToken ?? tokens.accessToken
        try {
          await client.tokenRevocation(discovered.client, token, { token_type_hint: tokens.refreshToken === undefined ? 'access_token' : 'refresh_token' })
        } catch (error) {
          // The local session has ended already; the IdP's token expires by itself.
          deps.logger.warn({ provider: record.provider, code: (error as { code?: string }).code }, 'revoking the IdP token at logout failed')
        }
      },
    }
  }
}

export type RpLogout = ReturnType<typeof createRpLogout>
