import * as client from 'openid-client'
import type { Logger } from 'pino'
import type { IdpSessionRecord, Store } from '@gatehouse/store'
import type { MasterKeyCipher } from '@gatehouse/tokens'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'
import type { SessionManager } from '../session/session-manager.js'
import type { ProviderRegistry } from './provider-registry.js'
import { openTokens, sealTokens } from './token-bundle.js'
import { accessExpiry, isUnreachable } from './token-response.js'

/** An access token this close to its expiry is refreshed first: it must outlive the upstream call. */
export const REFRESH_AHEAD_MS = 30_000
/** How long one gateway may hold the refresh of a session before another may take it over. */
export const REFRESH_LEASE_MS = 30_000
/** How long a request waits for another gateway's refresh of the same session. */
const WAIT_FOR_OTHER_MS = 15_000
const POLL_MS = 50

export interface IdpAccessDeps {
  store: Store
  clock: Clock
  cipher: MasterKeyCipher
  providers: ProviderRegistry
  sessions: SessionManager
  logger: Logger
  /** Real-time waiting between polls (tests keep the default). */
  sleep?: (ms: number) => Promise<void>
}

const sessionGone = () => new GatewayError('ERR_UNAUTHENTICATED', { headers: { 'www-authenticate': 'Cookie' } })

/**
 * The user's IdP access token for `"token": "idp"` routes, refreshed before it expires, once per
 * session: concurrent requests in this process share one refresh (single flight), and gateways
 * sharing the store take a lease by compare-and-set first, so a rotating refresh token is
 * presented to the IdP exactly once. When the IdP refuses it (invalid_grant), the session ends
 * (`idp_revoked`) everywhere.
 */
export function createIdpAccess(deps: IdpAccessDeps) {
  const { store, clock, cipher, providers, sessions, logger } = deps
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const inFlight = new Map<string, Promise<string>>()

  const fresh = (record: IdpSessionRecord) => record.accessExpiresAt === null || record.accessExpiresAt - REFRESH_AHEAD_MS > clock.now()

  async function refreshOnce(record: IdpSessionRecord, userId: string): Promise<string> {
    const handle = providers.get(record.provider)
    if (handle === undefined) throw sessionGone()
    const discovered = await handle.current()
    const tokens = openTokens(cipher, record.sessionId, record.tokensEnc)
    if (tokens.refreshToken === undefined) {
      await sessions.revoke(record.sessionId, 'idp_revoked', { userId })
      throw sessionGone()
    }
    let answer: Awaited<ReturnType<typeof client.refreshTokenGrant>>
    try {
      answer = await client.refreshTokenGrant(discovered.client, tokens.refreshToken)
    } catch (error) {
      if (error instanceof client.ResponseBodyError && error.error === 'invalid_grant') {
        logger.info({ provider: record.provider, sessionId: record.sessionId }, 'the identity provider refused the refresh token; the session ends')
        await sessions.revoke(record.sessionId, 'idp_revoked', { userId })
        throw sessionGone()
      }
      // No answer, or an answer that is not a refusal: the session stays, the request waits for better times.
      await store.releaseIdpRefresh(record.sessionId, record.version)
      logger.warn({ provider: record.provider, code: (error as { code?: string }).code, unreachable: isUnreachable(error) }, 'refreshing the IdP access token failed')
      throw new GatewayError('ERR_IDP_UNAVAILABLE', { detail: `the identity provider "${record.provider}" did not refresh the access token`, headers: { 'retry-after': '5' } })
    }
    const next = {
      accessToken: answer.access_token,
      // An IdP that does not rotate keeps the old refresh token valid; one that rotates sent a new one.
      refreshToken: answer.refresh_token ?? tokens.refreshToken,
      idToken: answer.id_token ?? tokens.idToken,
    }
    const stored = await store.updateIdpTokens(record.sessionId, {
      expectedVersion: record.version,
      tokensEnc: sealTokens(cipher, record.sessionId, next),
      accessExpiresAt: accessExpiry(answer, clock.now()),
      now: clock.now(),
    })
    // Only a revocation in the meantime stops the store (the lease kept other gateways out).
    if (!stored) throw sessionGone()
    return next.accessToken
  }

  async function refresh(sessionId: string, userId: string): Promise<string> {
    // Real time, not the clock: this bounds how long a request waits, as the sleeps between polls do.
    const deadline = Date.now() + WAIT_FOR_OTHER_MS
    for (;;) {
      const record = await store.findIdpSession(sessionId)
      if (record === null) throw sessionGone()
      if (fresh(record)) return openTokens(cipher, sessionId, record.tokensEnc).accessToken
      const now = clock.now()
      if (await store.leaseIdpRefresh(sessionId, { expectedVersion: record.version, until: now + REFRESH_LEASE_MS, now })) {
        return refreshOnce(record, userId)
      }
      // Another gateway holds the lease (or the session ended): wait for its result.
      const session = await store.findSession(sessionId)
      if (session === null || session.revokedAt !== null) throw sessionGone()
      if (Date.now() > deadline) throw new GatewayError('ERR_IDP_UNAVAILABLE', { detail: 'the access token is being refreshed; try again', headers: { 'retry-after': '1' } })
      await sleep(POLL_MS)
    }
  }

  return {
    /** The session's IdP access token; ERR_IDP_SESSION_REQUIRED for a password session. */
    async accessToken(sessionId: string, userId: string): Promise<string> {
      const record = await store.findIdpSession(sessionId)
      if (record === null) throw new GatewayError('ERR_IDP_SESSION_REQUIRED')
      if (fresh(record)) return openTokens(cipher, sessionId, record.tokensEnc).accessToken
      let running = inFlight.get(sessionId)
      if (running === undefined) {
        running = refresh(sessionId, userId).finally(() => inFlight.delete(sessionId))
        inFlight.set(sessionId, running)
      }
      return running
    },
  }
}

export type IdpAccess = ReturnType<typeof createIdpAccess>
