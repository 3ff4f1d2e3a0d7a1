import { randomBytes, randomUUID } from 'node:crypto'
import type { NewUser, Session, SessionState } from '../types.js'

export const T0 = 1_800_000_000_000

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = randomUUID()
  return { id, username: `user-${id.slice(0, 8)}`, passwordHash: '$argon2id$fake', roles: ['user'], createdAt: T0, ...overrides }
}

/** What the per-request lookup (findSessionWithUser) gives back of a session: no user agent or address. */
export function stateOf({ userAgent: _u, clientIp: _c, ...state }: Session): SessionState {
  return state
}

export function newSession(userId: string, overrides: Partial<Session> = {}): Session {
  return {
    id: randomBytes(16).toString('base64url'),
    userId,
    credentialHash: randomBytes(32).toString('hex'),
    previousCredentials: [],
    credentialRotatedAt: T0,
    deviceName: 'Laptop',
    userAgent: 'test-agent',
    clientIp: '127.0.0.1',
    uaFamilyHash: 'ua-family-hash',
    networkHash: 'network-hash',
    createdAt: T0,
    lastSeenAt: T0,
    idleExpiresAt: T0 + 30 * 60_000,
    absoluteExpiresAt: T0 + 7 * 86_400_000,
    revokedAt: null,
    revokedReason: null,
    ...overrides,
  }
}
