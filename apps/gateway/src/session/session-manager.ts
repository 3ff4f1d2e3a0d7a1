import type { PreviousCredential, RevocationReason, Session, SessionState, Store, User } from '@gatehouse/store'
import type { Anomaly, AnomalyDetector } from '../anomaly/detector.js'
import type { AuditLog, AuditOrigin } from '../audit.js'
import type { Clock } from '../clock.js'
import type { CookiePayload, SessionCookie } from './cookie.js'
import { hashCredential, newCredential, newSessionId, sameHash } from './credential.js'
import { createUnsealCache, type OpenedCookie } from './unseal-cache.js'

export interface SessionPolicy {
  idleTtlS: number
  absoluteTtlS: number
  rotateEveryS: number
  rotateGraceS: number
  maxSessionsPerUser: number
}

/** Last-seen is written at most this often per session, not on every request. */
export const TOUCH_INTERVAL_MS = 60_000

/**
 * How often a session's last-seen and idle deadline are written: at most once a minute, and at
 * least ten times per idle timeout, so a short GATEHOUSE_IDLE_TTL still moves often.
 */
export function touchIntervalMs(idleTtlS: number): number {
  return Math.min(TOUCH_INTERVAL_MS, idleTtlS * 100)
}

/**
 * The idle deadline written at `now`. A request that comes less than one touch interval after the
 * last write moves nothing, so the deadline carries that interval on top of the idle timeout: no
 * session ever ends earlier than GATEHOUSE_IDLE_TTL after its last request (at most one touch
 * interval later), and never after its absolute lifetime.
 */
export function idleDeadline(policy: Pick<SessionPolicy, 'idleTtlS'>, now: number, absoluteExpiresAt: number): number {
  return Math.min(now + policy.idleTtlS * 1000 + touchIntervalMs(policy.idleTtlS), absoluteExpiresAt)
}

/**
 * Rotated-out credentials remembered per session (those past their grace are dropped at each
 * rotation). Rotations are at least GATEHOUSE_ROTATE_EVERY apart, so at most
 * GRACE / EVERY + 1 are ever within their grace; the configuration keeps that within this bound.
 */
export const MAX_REMEMBERED_CREDENTIALS = 32

/** Whether `presented` is a predecessor still within the grace after its own rotation. */
function inGrace(previous: readonly PreviousCredential[], presented: string, now: number, graceMs: number): boolean {
  for (const p of previous) {
    if (now - p.rotatedAt <= graceMs && sameHash(p.hash, presented)) return true
  }
  return false
}

/** What a rotation at `now` keeps: the credential it retires first, then those still in grace. */
function predecessorsAfterRotation(retired: string, previous: readonly PreviousCredential[], now: number, graceMs: number): PreviousCredential[] {
  const kept: PreviousCredential[] = [{ hash: retired, rotatedAt: now }]
  for (const p of previous) {
    if (kept.length >= MAX_REMEMBERED_CREDENTIALS) break
    if (now - p.rotatedAt <= graceMs) kept.push(p)
  }
  return kept
}

/** What the presented credential is to a session: its current one, a predecessor within the grace, or neither. */
type CredentialStanding = 'current' | 'in_grace' | 'refused'

function standing(session: SessionState, presented: string, now: number, graceMs: number): CredentialStanding {
  if (sameHash(session.credentialHash, presented)) return 'current'
  return inGrace(session.previousCredentials, presented, now, graceMs) ? 'in_grace' : 'refused'
}

/** Whether what was read would refuse the request or end the session (expired, reuse). */
function refusable(found: { session: SessionState; user: User } | null, credential: CredentialStanding, now: number): boolean {
  if (found === null) return true
  const { session, user } = found
  if (session.revokedAt !== null || user.suspendedAt !== null) return true
  if (now >= session.absoluteExpiresAt || now >= session.idleExpiresAt) return true
  return credential === 'refused'
}

export type AuthFailure = 'no_cookie' | 'bad_cookie' | 'unknown_session' | 'revoked' | 'expired' | 'reuse_detected' | 'anomaly'

export type AuthResult =
  | { ok: true; session: SessionState; user: User; setCookie?: string }
  | { ok: false; failure: AuthFailure; clearCookie: boolean; /** Why the session it named ended, when known. */ reason?: string }

export interface StartedSession {
  session: Session
  setCookie: string
}

export interface SessionManager {
  start(user: User, device: { deviceName: string; clientIp: string; userAgent: string }): Promise<StartedSession>
  authenticate(cookieValue: string | undefined, origin: AuditOrigin): Promise<AuthResult>
  /** Revokes and audits; false when it was already ended. */
  revoke(sessionId: string, reason: RevocationReason, origin: AuditOrigin & { userId: string }): Promise<boolean>
  /** Revokes every session of a user (but one) and audits each. */
  revokeAllOfUser(userId: string, reason: RevocationReason, origin: AuditOrigin & { exceptSessionId?: string }): Promise<string[]>
  /**
   * Acts on an anomaly (see anomaly/detector.ts): audits `session.anomaly`; a flag moves the
   * session's baseline to what it looks like now, a revoke ends it (reason 'anomaly'). True when
   * the session was ended.
   */
  reportAnomaly(session: SessionState, anomaly: Anomaly, origin: AuditOrigin): Promise<boolean>
  /** Ends every session past its expiry (reason 'expired', audited); returns how many. */
  expireDue(): Promise<number>
  /** Drops what is cached in memory for sessions that ended elsewhere (another gateway, the CLI). */
  forget(sessionIds: string[]): void
  /** Whether this sealed cookie value is held opened in memory (for tests of invalidation). */
  isCached(cookieValue: string): boolean
  readonly cookie: SessionCookie
}

export interface SessionManagerDeps {
  store: Store
  clock: Clock
  cookie: SessionCookie
  audit: AuditLog
  policy: SessionPolicy
  /** Told of every revocation made here, so caches drop the session and other gateways hear of it. */
  onRevoked?: (sessionIds: string[]) => void
  /** Told of sessions that ended elsewhere (see `forget`): drop, but do not announce again. */
  onForgotten?: (sessionIds: string[]) => void
  /** The anomaly policy; without one nothing is compared. */
  anomalies?: AnomalyDetector
  /** Unsealed cookies kept in memory (0 turns the cache off). Default 100 000. */
  unsealCacheSize?: number
}

/** A stored revocation reason as the 401 names it (CONTRACT section 2: a logout is `logged_out`). */
function reasonWord(reason: RevocationReason | null): string {
  return reason === 'logout' ? 'logged_out' : (reason ?? 'revoked')
}

export function createSessionManager(deps: SessionManagerDeps): SessionManager {
  const { store, clock, cookie, audit, policy } = deps
  const touchEveryMs = touchIntervalMs(policy.idleTtlS)
  const unsealed = createUnsealCache(deps.unsealCacheSize ?? 100_000)
  const notify = (ids: string[]) => {
    if (ids.length === 0) return
    unsealed.forgetSessions(ids)
    deps.onRevoked?.(ids)
  }
  async function open(value: string): Promise<OpenedCookie | null> {
    const hit = unsealed.get(value)
    if (hit !== undefined) return hit
    const opened = await cookie.open(value)
    if (opened !== null) unsealed.set(value, opened)
    return opened
  }

  const setCookieFor = async (payload: CookiePayload, s: SessionState, now: number) =>
    cookie.serialize(await cookie.seal(payload), (s.absoluteExpiresAt - now) / 1000)

  async function revoke(sessionId: string, reason: RevocationReason, origin: AuditOrigin & { userId: string }) {
    const revoked = await store.revokeSession(sessionId, reason, clock.now())
    if (revoked === null) return false
    notify([sessionId])
    await audit('session.revoked', { ...origin, sessionId, details: { reason } })
    return true
  }

  async function reportAnomaly(session: SessionState, anomaly: Anomaly, origin: AuditOrigin) {
    const flag = () =>
      audit('session.anomaly', {
        userId: session.userId,
        sessionId: session.id,
        ...origin,
        details: { anomalies: anomaly.kinds, action: anomaly.action, ...anomaly.details },
      })
    if (anomaly.action === 'revoke') {
      // Of parallel requests that all saw it, the one that ended the session reports it.
      if (await revoke(session.id, 'anomaly', { userId: session.userId, ...origin })) await flag()
      return true
    }
    await flag()
    await store.setSessionFingerprint(session.id, anomaly.fingerprint)
    return false
  }

  return {
    cookie,
    revoke,
    reportAnomaly,
    forget(ids) {
      unsealed.forgetSessions(ids)
      deps.onForgotten?.(ids)
    },
    isCached: (value) => unsealed.has(value),

    async start(user, device) {
      const now = clock.now()
      const credential = newCredential()
      const session: Session = {
        id: newSessionId(),
        userId: user.id,
        credentialHash: hashCredential(credential),
        previousCredentials: [],
        credentialRotatedAt: now,
        deviceName: device.deviceName,
        userAgent: device.userAgent,
        clientIp: device.clientIp,
        ...(deps.anomalies?.fingerprint(device) ?? { uaFamilyHash: null, networkHash: null }),
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: idleDeadline(policy, now, now + policy.absoluteTtlS * 1000),
        absoluteExpiresAt: now + policy.absoluteTtlS * 1000,
        revokedAt: null,
        revokedReason: null,
      }
      await store.createSession(session)
      await audit('session.created', { userId: user.id, sessionId: session.id, ...device })
      // Beyond the cap, the least recently used sessions make room.
      const live = await store.listActiveSessions(user.id, now)
      for (const old of live.slice(policy.maxSessionsPerUser)) {
        await revoke(old.id, 'evicted', { userId: user.id, ...device })
      }
      return { session, setCookie: await setCookieFor({ sid: session.id, cred: credential }, session, now) }
    },

    async authenticate(cookieValue, origin) {
      if (cookieValue === undefined || cookieValue === '') return { ok: false, failure: 'no_cookie', clearCookie: false }
      const opened = await open(cookieValue)
      if (opened === null) return { ok: false, failure: 'bad_cookie', clearCookie: true }
      const { payload } = opened
      // Hashed once per cached cookie value, not on every request.
      const presented = (opened.credentialHash ??= hashCredential(payload.cred))
      const now = clock.now()
      let found = await store.findSessionWithUser(payload.sid)
      // The store may answer from a cache that lags behind another gateway's rotation or touch
      // (never behind a revocation): whatever would refuse or end the session is decided on a
      // fresh read. The happy path stays one lookup.
      const graceMs = policy.rotateGraceS * 1000
      let credential: CredentialStanding = found === null ? 'refused' : standing(found.session, presented, now, graceMs)
      if (refusable(found, credential, now)) {
        found = await store.findSessionWithUser(payload.sid, { fresh: true })
        if (found !== null) credential = standing(found.session, presented, now, graceMs)
      }
      if (found === null) return { ok: false, failure: 'unknown_session', clearCookie: true }
      const { session, user } = found
      if (session.revokedAt !== null) return { ok: false, failure: 'revoked', clearCookie: true, reason: reasonWord(session.revokedReason) }
      if (now >= session.absoluteExpiresAt || now >= session.idleExpiresAt) {
        if (await store.revokeSession(session.id, 'expired', now)) {
          notify([session.id])
          await audit('session.expired', { userId: session.userId, sessionId: session.id, ...origin })
        }
        return { ok: false, failure: 'expired', clearCookie: true, reason: 'expired' }
      }

      // Suspension revokes every session; this is the second lock on the same door.
      if (user.suspendedAt !== null) return { ok: false, failure: 'revoked', clearCookie: true, reason: 'suspended' }

      const isCurrent = credential === 'current'
      // A rotated-out credential counts from its own rotation, however many followed it (a slow
      // request may carry a cookie several rotations old when the period is short).
      if (credential === 'refused') {
        // The seal is ours, so this credential was real once: an old copy of the cookie is in use.
        if (await store.revokeSession(session.id, 'reuse_detected', now)) {
          notify([session.id])
          await audit('session.reuse_detected', { userId: session.userId, sessionId: session.id, ...origin })
          await audit('session.revoked', { userId: session.userId, sessionId: session.id, ...origin, details: { reason: 'reuse_detected' } })
        }
        return { ok: false, failure: 'reuse_detected', clearCookie: true, reason: 'reuse_detected' }
      }

      // Before rotation: a cookie used from somewhere else gets no fresh credential first.
      const anomaly = deps.anomalies?.inspect(session, origin)
      let current = session
      if (anomaly !== undefined) {
        if (await reportAnomaly(session, anomaly, origin)) return { ok: false, failure: 'anomaly', clearCookie: true }
        current = { ...session, ...anomaly.fingerprint }
      }

      let setCookie: string | undefined
      if (isCurrent && now - session.credentialRotatedAt >= policy.rotateEveryS * 1000) {
        const credential = newCredential()
        const newHash = hashCredential(credential)
        // Compare-and-set: of parallel requests crossing the rotation, one rotates; the others
        // carry on with what is now the predecessor, accepted within the grace window.
        const previousCredentials = predecessorsAfterRotation(presented, session.previousCredentials, now, graceMs)
        if (await store.rotateSessionCredential(session.id, { expectedHash: presented, newHash, now, previousCredentials })) {
          current = { ...current, previousCredentials, credentialHash: newHash, credentialRotatedAt: now }
          setCookie = await setCookieFor({ sid: session.id, cred: credential }, current, now)
          await audit('session.rotated', { userId: session.userId, sessionId: session.id, ...origin })
        }
      } else if (isCurrent && opened.stale) {
        // Sealed with an older cookie secret: same credential, re-sealed with the newest.
        setCookie = await setCookieFor(payload, session, now)
      }

      if (now - session.lastSeenAt >= touchEveryMs) {
        const idleExpiresAt = idleDeadline(policy, now, session.absoluteExpiresAt)
        await store.touchSession(session.id, now, idleExpiresAt)
        current = { ...current, lastSeenAt: now, idleExpiresAt }
      }
      return setCookie === undefined ? { ok: true, session: current, user } : { ok: true, session: current, user, setCookie }
    },

    async expireDue() {
      const expired = await store.expireSessions(clock.now())
      notify(expired.map((s) => s.id))
      for (const s of expired) await audit('session.expired', { userId: s.userId, sessionId: s.id, details: { by: 'prune' } })
      return expired.length
    },

    async revokeAllOfUser(userId, reason, origin) {
      const { exceptSessionId, ...where } = origin
      const ids = await store.revokeUserSessions(userId, reason, clock.now(), exceptSessionId === undefined ? {} : { exceptSessionId })
      notify(ids)
      for (const sessionId of ids) await audit('session.revoked', { userId, sessionId, ...where, details: { reason } })
      return ids
    },
  }
}
