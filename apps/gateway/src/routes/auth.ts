import { Hono } from 'hono'
import { z } from 'zod'
import type { Store } from '@gatehouse/store'
import type { AuditLog } from '../audit.js'
import { MAX_PASSWORD_LENGTH, type PasswordHasher } from '../auth/passwords.js'
import { normalizeUsername } from '../auth/usernames.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'
import { sessionView, userView } from '../http/views.js'
import { requireAuth } from '../middleware/session.js'
import { deviceNameFromUserAgent } from '../session/device-name.js'
import type { SessionManager } from '../session/session-manager.js'

const LoginBody = z.object({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  deviceName: z.string().trim().min(1).max(64).optional(),
})

export interface AuthRoutesDeps {
  store: Store
  sessions: SessionManager
  hasher: PasswordHasher
  audit: AuditLog
}

export function authRoutes({ store, sessions, hasher, audit }: AuthRoutesDeps) {
  const app = new Hono<AppEnv>()

  app.post('/login', async (c) => {
    const body = await readJson(c, LoginBody)
    const userAgent = (c.req.header('user-agent') ?? '').slice(0, 512)
    const origin = { clientIp: c.get('clientIp'), userAgent }
    const user = await store.findUserByUsername(normalizeUsername(body.username))
    // Unknown user and wrong password: the same answer, after the same argon2 work.
    const passwordOk = user === null ? await hasher.verifyDummy(body.password) : await hasher.verify(user.passwordHash, body.password)
    if (user === null || !passwordOk) {
      await audit('login.failed', { userId: user?.id ?? null, ...origin, details: { reason: user === null ? 'unknown_user' : 'bad_password' } })
      throw new GatewayError('ERR_BAD_CREDENTIALS')
    }
    if (user.suspendedAt !== null) {
      await audit('login.failed', { userId: user.id, ...origin, details: { reason: 'suspended' } })
      throw new GatewayError('ERR_SUSPENDED')
    }
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
    await sessions.revoke(session.id, 'logout', { userId: user.id, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null })
    c.set('auth', undefined)
    c.header('set-cookie', sessions.cookie.clear())
    return c.body(null, 204)
  })

  app.get('/session', (c) => {
    const { session, user } = requireAuth(c)
    c.header('cache-control', 'no-store')
    return c.json({ user: userView(user), session: sessionView(session) })
  })

  return app
}
