import { createHash } from 'node:crypto'
import { jwtVerify } from 'jose'
import type { Store } from '@gatehouse/store'
import type { AuditLog } from '../audit.js'
import type { Clock } from '../clock.js'
import type { SessionManager } from '../session/session-manager.js'
import type { DiscoveredProvider } from './provider-registry.js'

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout'
/** A logout token older than this is refused; its `jti` is remembered at least as long. */
export const LOGOUT_TOKEN_MAX_AGE_S = 300
const CLOCK_TOLERANCE_S = 60

export type LogoutTokenRefusal =
  | 'unverifiable'
  | 'no_event'
  | 'has_nonce'
  | 'no_subject_or_sid'
  | 'no_jti'
  | 'replayed'

export type BackchannelResult = { ok: true; revoked: number } | { ok: false; reason: LogoutTokenRefusal; detail?: string }

/**
 * OpenID Connect Back-Channel Logout 1.0, section 2.6: the logout token is a JWT signed by the
 * IdP (its JWKS, an allowed algorithm), for us (`aud`), from it (`iss`), recent (`iat`), with the
 * back-channel event, no `nonce`, a `sid` and/or `sub`, and a `jti` never seen before. Only then
 * are the matching sessions revoked, with reason `idp_logout`, on every gateway (the store).
 */
export function createBackchannelLogout(deps: { store: Store; clock: Clock; audit: AuditLog; sessions: SessionManager }) {
  const { store, clock, sessions } = deps
  return async function handle(provider: DiscoveredProvider, logoutToken: string): Promise<BackchannelResult> {
    const { settings, keys } = provider
    const issuer = provider.client.serverMetadata().issuer
    let payload
    try {
      ;({ payload } = await jwtVerify(logoutToken, keys, {
        issuer,
        audience: settings.clientId,
        algorithms: settings.signingAlgs,
        requiredClaims: ['iat'],
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE_S,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(clock.now()),
      }))
    } catch (error) {
      return { ok: false, reason: 'unverifiable', detail: (error as { code?: string }).code ?? 'invalid' }
    }
    const events = payload.events as Record<string, unknown> | undefined
    const event = events?.[BACKCHANNEL_EVENT]
    if (typeof events !== 'object' || events === null || typeof event !== 'object' || event === null) return { ok: false, reason: 'no_event' }
    if ('nonce' in payload) return { ok: false, reason: 'has_nonce' }
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined
    if (sid === undefined && sub === undefined) return { ok: false, reason: 'no_subject_or_sid' }
    if (typeof payload.jti !== 'string' || payload.jti === '') return { ok: false, reason: 'no_jti' }

    // Remembered until the token could no longer pass the iat check anyway.
    const key = createHash('sha256').update(`${issuer}\n${payload.jti}`).digest('hex')
    const until = (payload.iat! + LOGOUT_TOKEN_MAX_AGE_S + CLOCK_TOLERANCE_S) * 1000
    if (!(await store.recordLogoutTokenId(key, Math.max(until, clock.now() + 1000)))) return { ok: false, reason: 'replayed' }

    const ids = await store.findIdpSessionIds({ issuer, ...(sid === undefined ? {} : { idpSid: sid }), ...(sub === undefined ? {} : { subject: sub }) }, clock.now())
    let revoked = 0
    for (const id of ids) {
      const session = await store.findSession(id)
      if (session !== null && (await sessions.revoke(id, 'idp_logout', { userId: session.userId }))) revoked++
    }
    return { ok: true, revoked }
  }
}
