import { Hono } from 'hono'
import { z } from 'zod'
import type { Store } from '@gatehouse/store'
import type { AuditLog, AuditOrigin } from '../audit.js'
import type { LoginAttempt, LoginLimiter } from '../auth/login-limiter.js'
import type { UserAdmin } from '../users/user-admin.js'
import { MAX_PASSWORD_LENGTH, type PasswordHasher } from '../auth/passwords.js'
import { normalizeUsername } from '../auth/usernames.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'
import { sessionView, userView } from '../http/views.js'
import { requireAuth } from '../middleware/session.js'
import { deviceNameFromUserAgent } from '../session/device-name.js'
import type { SessionManager } from '../session/session-manager.js'

export const LoginBody = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  deviceName: z.string().trim().min(1).max(64).optional(),
})

export const PasswordBody = z.object({
  currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  newPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH),
})

export interface AuthRoutesDeps {
  store: Store
  sessions: SessionManager
  hasher: PasswordHasher
  audit: AuditLog
  limiter: LoginLimiter
  users: UserAdmin
  /** Every 429 (the audit trail records only the first of each lockout). */
  onRateLimited?: (route: 'login' | 'password') => void
  /** Sessions from an identity provider (section 7): their provider, and RP-initiated logout. */
  idp?: {
    providerOf(sessionId: string): Promise<string | null>
    prepareLogout(sessionId: string): Promise<{ endSessionUrl: string | null; revokeAtIdp(): Promise<void> } | null>
  }
}

export function authRoutes({ store, sessions, hasher, audit, limiter, users, onRateLimited, idp }: AuthRoutesDeps) {
  /**
   * Throttled like a login: one attempt is counted before the password is checked, or 429 while
   * a limit is locked. Of a lockout's refusals only the first is audited, so anonymous clients
   * cannot grow the trail by asking again and again.
   */
  async function reserve(route: 'login' | 'password', attempt: LoginAttempt, origin: AuditOrigin, userId: string | null) {
    const reserved = await limiter.reserve(attempt)
    if (!reserved.refused) return reserved
    onRateLimited?.(route)
    if (reserved.firstRefusal) {
      await audit('login.rate_limited', { userId, ...origin, details: { scope: reserved.scope, retryAfter: reserved.retryAfterS } })
    }
    throw reserved.error
  }

  const app = new Hono<AppEnv>()

  app.post('/login', async (c) => {
    const body = await readJson(c, LoginBody)
    const userAgent = (c.req.header('user-agent') ?? '').slice(0, 512)
    const origin = { clientIp: c.get('clientIp'), userAgent }
    const attempt = { account: normalizeUsername(body.username), clientIp: c.get('clientIp') }
    const user = await store.findUserByUsername(attempt.account)
    const reserved = await reserve('login', attempt, origin, user?.id ?? null)
    // Unknown user and wrong password: the same answer, after the same argon2 work. The
    // reservation stands as the failure.
    const passwordOk = user === null ? await hasher.verifyDummy(body.password) : await hasher.verify(user.passwordHash, body.password)
    if (user === null || !passwordOk) {
      await audit('login.failed', { userId: user?.id ?? null, ...origin, details: { reason: user === null ? 'unknown_user' : 'bad_password' } })
      throw new GatewayError('ERR_BAD_CREDENTIALS')
    }
    if (user.suspendedAt !== null) {
      await reserved.release()
      await audit('login.failed', { userId: user.id, ...origin, details: { reason: 'suspended' } })
      throw new GatewayError('ERR_SUSPENDED')
    }
    await reserved.succeeded()
    // A sign-in always starts a new session: whatever this browser held before ends here.
    const previous = c.get('auth')?.session
    if (previous !== undefined) await sessions.revoke(previous.id, 'logout', { userId: previous.userId, ...origin })
    c.set('auth', undefined)

    const started = await sessions.start(user, { deviceName: body.deviceName ?? deviceNameFromUserAgent(userAgent), ...origin })
    await audit('login.succeeded', { userId: user.id, sessionId: started.session.id, ...origin })
    c.header('set-cookie', started.setCookie)
    c.header('cache-control', 'no-store')
    return c.json({ user: userView(user), session: sessionView(started.session) })
  })

  app.post('/logout', async (c) => {
    const { session, user } = requireAuth(c)
    const fromIdp = await idp?.prepareLogout(session.id)
    await sessions.revoke(session.id, 'logout', { userId: user.id, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null })
    c.set('auth', undefined)
    c.header('set-cookie', sessions.cookie.clear())
    if (fromIdp === null || fromIdp === undefined) return c.body(null, 204)
    // The IdP's refresh token is revoked there too (RFC 7009); the app may end the IdP session.
    await fromIdp.revokeAtIdp()
    c.header('cache-control', 'no-store')
    return c.json({ endSessionUrl: fromIdp.endSessionUrl })
  })

  app.post('/password', async (c) => {
    const { session, user } = requireAuth(c)
    const body = await readJson(c, PasswordBody)
    const origin = { clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null }
    const attempt = { account: user.username, clientIp: c.get('clientIp') }
    const reserved = await reserve('password', attempt, origin, user.id)
    if (!(await hasher.verify(user.passwordHash, body.currentPassword))) {
      await audit('password_change.failed', { userId: user.id, sessionId: session.id, ...origin })
      throw new GatewayError('ERR_BAD_CREDENTIALS', { detail: 'the current password is wrong' })
    }
    await reserved.succeeded()
    // Every other session ends; this one stays signed in.
    await users.setPassword(user.id, body.newPassword, { actor: `user:${user.id}`, ...origin, keepSessionId: session.id })
    return c.body(null, 204)
  })

  app.get('/session', async (c) => {
    const { session, user } = requireAuth(c)
    const provider = (await idp?.providerOf(session.id)) ?? null
    c.header('cache-control', 'no-store')
    return c.json({ user: userView(user), session: { ...sessionView(session), provider } })
  })

  return app
}
