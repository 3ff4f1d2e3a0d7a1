import { Hono, type Context } from 'hono'
import type { AuditLog } from '../audit.js'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { readCookie } from '../http/read-cookie.js'
import type { createBackchannelLogout } from '../oidc/backchannel-logout.js'
import type { LoginFlow } from '../oidc/login-flow.js'
import { bindingCookie } from '../oidc/login-transactions.js'
import type { ProviderHandle, ProviderRegistry } from '../oidc/provider-registry.js'
import { safeReturnTo } from '../oidc/return-to.js'
import { deviceNameFromUserAgent } from '../session/device-name.js'

const MAX_LOGOUT_BODY = 16 * 1024

export interface OidcRoutesDeps {
  providers: ProviderRegistry
  flow: LoginFlow
  backchannel: ReturnType<typeof createBackchannelLogout>
  audit: AuditLog
  secureCookies: boolean
  /** False when password login is off: the app then shows only the providers. */
  localLogin: boolean
}

/** `/auth/oidc/<provider>/…`: login, callback, back-channel logout (contract section 7). */
export function oidcRoutes({ providers, flow, backchannel, audit, secureCookies, localLogin }: OidcRoutesDeps) {
  const binding = bindingCookie(secureCookies)
  const app = new Hono<AppEnv>()

  const handleFor = (c: Context<AppEnv>): ProviderHandle => {
    const handle = providers.get(c.req.param('provider') ?? '')
    if (handle === undefined) throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such identity provider' })
    return handle
  }
  const origin = (c: Context<AppEnv>) => ({ clientIp: c.get('clientIp'), userAgent: (c.req.header('user-agent') ?? '').slice(0, 512) })

  // What the login screen offers: public, and the same for everyone.
  app.get('/providers', (c) =>
    c.json({
      localLogin,
      providers: providers.names.map((name) => ({ name, displayName: providers.get(name)!.settings.displayName, loginUrl: `/auth/oidc/${name}/login` })),
    }),
  )

  app.get('/:provider/login', async (c) => {
    const handle = handleFor(c)
    const returnTo = safeReturnTo(c.req.query('returnTo'))
    // One binding per browser, reused across tabs: each tab's transaction is still its own (state).
    const existing = readCookie(c.req.header('cookie'), binding.name)
    const browserValue = binding.isValid(existing) ? existing : binding.newValue()
    const url = await flow.begin(handle, browserValue, returnTo)
    c.header('set-cookie', binding.serialize(browserValue))
    c.header('cache-control', 'no-store')
    c.header('referrer-policy', 'no-referrer')
    return c.redirect(url.href, 302)
  })

  app.get('/:provider/callback', async (c) => {
    const handle = handleFor(c)
    const where = origin(c)
    const cookieValue = readCookie(c.req.header('cookie'), binding.name)
    const auth = c.get('auth')
    const result = await flow.complete(
      handle,
      new URL(c.req.url).searchParams,
      binding.isValid(cookieValue) ? binding.hash(cookieValue) : undefined,
      { deviceName: deviceNameFromUserAgent(where.userAgent), ...where },
      auth === undefined ? undefined : { sessionId: auth.session.id, userId: auth.user.id },
    )
    c.header('cache-control', 'no-store')
    c.header('referrer-policy', 'no-referrer')
    if (!result.ok) {
      await audit('login.failed', {
        userId: null,
        ...where,
        details: { method: 'oidc', provider: handle.settings.name, reason: result.failure, ...(result.detail === undefined ? {} : { detail: result.detail }) },
      })
      return c.redirect(`/?loginError=${result.failure}`, 302)
    }
    await audit('login.succeeded', {
      userId: result.user.id,
      sessionId: result.started.session.id,
      ...where,
      details: { method: 'oidc', provider: handle.settings.name },
    })
    c.set('auth', undefined)
    c.header('set-cookie', result.started.setCookie)
    return c.redirect(result.returnTo, 302)
  })

  app.post('/:provider/backchannel-logout', async (c) => {
    const handle = handleFor(c)
    c.header('cache-control', 'no-store')
    const refuse = async (reason: string, detail?: string) => {
      await audit('oidc.backchannel_logout_refused', { ...origin(c), details: { provider: handle.settings.name, reason, ...(detail ? { detail } : {}) } })
      throw new GatewayError('ERR_INVALID_LOGOUT_TOKEN', { detail: reason })
    }
    if (Number(c.req.header('content-length') ?? '0') > MAX_LOGOUT_BODY) return refuse('too_large')
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return refuse('not_a_form')
    const text = await c.req.text()
    if (text.length > MAX_LOGOUT_BODY) return refuse('too_large')
    const form = new URLSearchParams(text)
    const tokens = form.getAll('logout_token')
    if (tokens.length !== 1 || tokens[0] === '') return refuse('no_logout_token')
    const discovered = await handle.current()
    const result = await backchannel(discovered, tokens[0]!)
    if (!result.ok) return refuse(result.reason, result.detail)
    await audit('oidc.backchannel_logout', { ...origin(c), details: { provider: handle.settings.name, sessions: result.revoked } })
    return c.body(null, 200)
  })

  return app
}
