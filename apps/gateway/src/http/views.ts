import type { AuditEvent, Session, SessionState, User } from '@gatehouse/store'
import { deviceNameFromUserAgent } from '../session/device-name.js'
import { networkOf } from './network.js'

const iso = (ms: number) => new Date(ms).toISOString()

/** The user as the browser sees it: never the password hash. */
export function userView(user: User) {
  return { id: user.id, username: user.username, roles: user.roles }
}

/** What an admin sees of a user. */
export function adminUserView(user: User) {
  return {
    ...userView(user),
    suspended: user.suspendedAt !== null,
    suspendedAt: user.suspendedAt === null ? null : iso(user.suspendedAt),
    createdAt: iso(user.createdAt),
    passwordChangedAt: iso(user.passwordChangedAt),
  }
}

export function sessionView(session: SessionState) {
  return {
    id: session.id,
    deviceName: session.deviceName,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
    absoluteExpiresAt: iso(session.absoluteExpiresAt),
  }
}

/**
 * A device in a list; `current` marks the one asking. `network` and `shortId` tell apart two
 * devices of the same name ("Chrome on Linux" twice): where it signed in, and an id to quote.
 */
export function deviceView(session: Session, currentId?: string) {
  return {
    id: session.id,
    shortId: session.id.slice(0, 8),
    network: networkOf(session.clientIp),
    deviceName: session.deviceName,
    userAgent: session.userAgent,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    current: session.id === currentId,
  }
}

/** An audit event; `device` is its user agent as a person names it ("Firefox on Linux"). */
export function auditView(event: AuditEvent) {
  return { ...event, at: iso(event.at), device: event.userAgent === null ? null : deviceNameFromUserAgent(event.userAgent) }
}

/** One flag of the anomaly policy on a session, as the admin screens show it. */
export function anomalyView(event: AuditEvent) {
  return {
    at: iso(event.at),
    anomalies: (event.details.anomalies as string[] | undefined) ?? [],
    action: String(event.details.action ?? 'flag'),
    clientIp: event.clientIp,
    userAgent: event.userAgent,
  }
}
