import { Hono, type Context } from 'hono'
import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import type { PasswordHasher } from './auth/passwords.js'
import type { Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import type { AppEnv } from './http/app-env.js'
import { clientAddress } from './http/client-ip.js'
import { createErrorHandler } from './http/on-error.js'
import { problemResponse } from './http/problem.js'
import { accessLog } from './middleware/access-log.js'
import { crossSiteProtection } from './middleware/cross-site.js'
import { requestId } from './middleware/request-id.js'
import { sessionMiddleware } from './middleware/session.js'
import { authRoutes } from './routes/auth.js'
import { deviceRoutes } from './routes/devices.js'
import { adminAuditRoutes } from './routes/admin-audit.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { requireRole } from './middleware/require-role.js'
import { healthRoutes } from './routes/health.js'
import { adminKeyRoutes } from './routes/admin-keys.js'
import { jwksRoutes } from './routes/jwks.js'
import { createCore, type Core } from './core.js'
import { createProxy, type Proxy } from './proxy/index.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { requestMetrics } from './middleware/request-metrics.js'
import { metricsRoutes } from './routes/metrics.js'
import { webRoutes } from './routes/web.js'

export interface AppDeps {
  config: GatewayConfig
  store: Store
  clock: Clock
  logger: Logger
  hasher: PasswordHasher
  /** The peer address; the server passes the socket's. */
  clientIp?: (c: Context<AppEnv>) => string
  /** Defaults to a registry of this gateway's own. */
  metrics?: Metrics
}

export interface Gateway {
  app: Hono<AppEnv>
  core: Core
  /** `/api/<name>/*`; `close()` drops its kept-alive upstream connections. */
  proxy: Proxy
  metrics: Metrics
}

function socketAddress(config: GatewayConfig) {
  return (c: Context<AppEnv>): string => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
    return clientAddress(env?.incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), config.trustedProxies)
  }
}

/** Builds the gateway from its dependencies; reads no environment and opens nothing. */
export function createGateway(deps: AppDeps): Gateway {
  const { config, store, clock, logger, hasher } = deps
  const metrics = deps.metrics ?? createMetrics()
  const core = createCore({
    config,
    store,
    clock,
    hasher,
    onAudit: metrics.onAudit,
    onBackgroundError: (error) => logger.warn({ err: error }, 'announcing a revocation to other gateways failed'),
  })
  // Sessions ended by another gateway or the CLI leave this one's caches at once.
  store.revocations?.onRevoked((ids) => core.sessions.forget(ids))
  const { audit, sessions } = core
  const clientIp = deps.clientIp ?? socketAddress(config)
  const proxy = createProxy({
    upstreams: config.upstreams,
    routes: config.routes,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    publicOrigin: config.publicOrigin,
    tokens: (subject, audience) => core.tokens.tokenFor(subject, audience),
    logger,
    onForbidden: async (c) => {
      const auth = c.get('auth')
      const anomaly = auth === undefined ? undefined : core.anomalies.forbidden(auth.session)
      if (auth !== undefined && anomaly !== undefined) {
        await sessions.reportAnomaly(auth.session, anomaly, { clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null })
      }
    },
    onUpstream: (upstream, ms, outcome) => metrics.upstreamDuration.observe({ upstream, outcome }, ms / 1000),
  })

  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler(logger))
  app.notFound(() => problemResponse('ERR_NOT_FOUND'))
  app.use('*', requestId)
  app.use('*', async (c, next) => {
    c.set('clientIp', clientIp(c))
    await next()
  })
  app.use('*', accessLog(logger))
  app.use('*', proxy.pathGuard)
  app.use('*', requestMetrics(metrics))
  app.route(
    '/',
    metricsRoutes(metrics, async () => {
      metrics.activeSessions.set(await store.countActiveSessions(clock.now()))
      const current = (await store.listPublishedSigningKeys(clock.now())).find((k) => k.retiredAt === null)
      if (current) metrics.keyAge.set((clock.now() - current.createdAt) / 1000)
    }),
  )
  app.route('/', healthRoutes(store, [{ name: 'signing_key', check: () => core.keys.signingKey().then(() => undefined) }]))
  app.route('/', jwksRoutes(core.keys))
  app.use('*', crossSiteProtection(config.publicOrigin))
  app.use('/auth/*', sessionMiddleware(sessions))
  app.route('/auth', authRoutes({ store, sessions, hasher, audit, limiter: core.loginLimiter, users: core.users }))
  app.route('/auth/sessions', deviceRoutes({ store, sessions, clock }))
  app.use('/admin/*', sessionMiddleware(sessions), requireRole('admin'))
  app.route('/admin', adminUserRoutes({ store, users: core.users, sessions, clock }))
  app.route('/admin', adminAuditRoutes(store))
  app.route('/admin', adminKeyRoutes(core.keys))
  app.use('/api/*', sessionMiddleware(sessions))
  app.route('/api', proxy.app)
  if (config.webRoot !== undefined) app.route('/', webRoutes(config.webRoot))
  return { app, core, proxy, metrics }
}
