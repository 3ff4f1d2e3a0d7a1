import type { Session, User } from '@gatehouse/store'

const iso = (ms: number) => new Date(ms).toISOString()

/** The user as the browser sees it: never the password hash. */
export function userView(user: User) {
  return { id: user.id, username: user.username, roles: user.roles }
}

export function sessionView(session: Session) {
  return {
    id: session.id,
    deviceName: session.deviceName,
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
    absoluteExpiresAt: iso(session.absoluteExpiresAt),
  }
}
