import { Hono, type Context } from 'hono'
import type { Logger } from 'pino'
import { STORE_ERROR_CODES, type Store } from '@gatehouse/store'
import type { PasswordHasher } from './auth/passwords.js'
import type { Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import type { AppEnv } from './http/app-env.js'
import { clientAddress, isTrustedPeer } from './http/client-ip.js'
import { createErrorHandler, createErrorResponder } from './http/on-error.js'
import { problemResponse } from './http/problem.js'
import { accessLog } from './middleware/access-log.js'
import { crossSiteProtection } from './middleware/cross-site.js'
import { requestId } from './middleware/request-id.js'
import { responseDefaults } from './middleware/response-defaults.js'
import { sessionMiddleware } from './middleware/session.js'
import { authRoutes } from './routes/auth.js'
import { cookieFactsRoutes } from './routes/cookie-facts.js'
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
import { requestMetrics, requestRecorder } from './middleware/request-metrics.js'
import { createNodeFastPath, type NodeFastPath } from './proxy/node-fast-path.js'
import { metricsRoutes } from './routes/metrics.js'
import { webRoutes } from './routes/web.js'
import { forwardAuthRoutes } from './routes/forward-auth.js'
import { openApiRoutes } from './routes/openapi.js'
import { createOidc, type Oidc } from './oidc/index.js'
import { createIdentityAdmin } from './oidc/identity-admin.js'
import { adminIdentityRoutes } from './routes/admin-identities.js'
import { revocationRoutes } from './routes/revocations.js'
import { createFeedHub, type FeedHub } from './revocations/feed-hub.js'
import { createFeedReader } from './revocations/feed-reader.js'

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
  /** `GET /reference`: an API reference page of /openapi.json (`pnpm demo` only). */
  apiReference?: boolean
  /** For requests to identity providers; defaults to the global fetch. */
  fetch?: typeof fetch
  /** The revocation feed's stream: store poll period and heartbeat, ms. Defaults 250 and 10 000. */
  revocationFeed?: { pollMs?: number; heartbeatMs?: number }
}

export interface Gateway {
  app: Hono<AppEnv>
  /** The operations listener's app (GATEHOUSE_OPS_ADDRESS): `/metrics`, `/healthz`, `/readyz`. */
  ops: Hono<AppEnv>
  core: Core
  /** `/api/<name>/*`; `close()` drops its kept-alive upstream connections. */
  proxy: Proxy
  metrics: Metrics
  /** Wakes the revocation feed's open streams; `close()` ends them (shutdown). */
  revocationHub: FeedHub
  /** Identity providers (OpenID Connect); `oidc.providers.start()` discovers them. */
  oidc: Oidc
  /**
   * `/api/*` on a node server without the Hono app (proxy/node-fast-path.ts): the server's
   * listener offers each request to it first. `app` still answers everything, `/api` included.
   */
  fastPath: NodeFastPath
}

function socketPeer(c: Context<AppEnv>): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress
}

function socketAddress(config: GatewayConfig) {
  return (c: Context<AppEnv>): string => clientAddress(socketPeer(c), c.req.header('x-forwarded-for'), config.trustedProxies)
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
  const oidc = createOidc({ config, store, clock, logger, audit, sessions, users: core.users, ...(deps.fetch ? { fetch: deps.fetch } : {}) })
  const proxy = createProxy({
    upstreams: config.upstreams,
    routes: config.routes,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    publicOrigin: config.publicOrigin,
    tokens: (subject, audience) => core.tokens.tokenFor(subject, audience),
    idpTokens: (subject) => oidc.access.accessToken(subject.sessionId, subject.userId),
    logger,
    onForbidden: async ({ auth, clientIp, userAgent }) => {
      const anomaly = auth === undefined ? undefined : core.anomalies.forbidden(auth.session)
      if (auth !== undefined && anomaly !== undefined) await sessions.reportAnomaly(auth.session, anomaly, { clientIp, userAgent })
    },
    onUpstream: (upstream, ms, outcome) => metrics.upstreamDuration.observe({ upstream, outcome }, ms / 1000),
  })

  const revocationHub = createFeedHub({
    readHead: async () => (await store.listRevocations({ after: Number.MAX_SAFE_INTEGER, endedSince: 0, limit: 1 })).head,
    pollMs: deps.revocationFeed?.pollMs ?? 250,
    heartbeatMs: deps.revocationFeed?.heartbeatMs ?? 10_000,
    onError: (error) => logger.warn({ err: error }, 'reading the revocation feed failed'),
  })

  const onStoreUnavailable = () => metrics.storeUnavailable.inc()
  const fastPath = createNodeFastPath({
    proxy,
    sessions,
    publicOrigin: config.publicOrigin,
    trustedProxies: config.trustedProxies,
    logger,
    record: requestRecorder(metrics),
    respondToError: createErrorResponder(logger, onStoreUnavailable),
  })

  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler(logger, onStoreUnavailable))
  app.notFound(() => problemResponse('ERR_NOT_FOUND'))
  app.use('*', requestId(config.trustedProxies))
  app.use('*', responseDefaults)
  app.use('*', async (c, next) => {
    c.set('clientIp', clientIp(c))
    await next()
  })
  app.use('*', accessLog(logger))
  app.use('*', proxy.pathGuard)
  app.use('*', requestMetrics(metrics))
  const metricsApp = metricsRoutes(metrics, async () => {
    try {
      metrics.activeSessions.set(await store.countActiveSessions(clock.now()))
      const current = (await store.listPublishedSigningKeys(clock.now())).find((k) => k.retiredAt === null)
      if (current) metrics.keyAge.set((clock.now() - current.createdAt) / 1000)
    } catch (error) {
      // The store is down: the gauges keep their last values, the counters (the outage's own
      // among them) are still served.
      if ((error as { code?: unknown }).code !== STORE_ERROR_CODES.unavailable) throw error
    }
  })
  const healthApp = healthRoutes(store, [{ name: 'signing_key', check: () => core.keys.signingKey().then(() => undefined) }, ...oidc.providers.readiness])
  // Session counts and theft-detection counters are for operators: on a listener of their own
  // when one is configured, and never on the public listener in production.
  if (config.opsAddress === undefined && !config.production) app.route('/', metricsApp)
  app.route('/', healthApp)
  app.route('/', jwksRoutes(core.keys))
  app.route('/', openApiRoutes(config.publicOrigin, { reference: deps.apiReference ?? false }))
  app.use('*', crossSiteProtection(config.publicOrigin))
  // Ahead of the /auth session middleware: it checks the original request first, as /api does.
  app.route(
    '/auth/forward',
    forwardAuthRoutes({
      access: proxy.access,
      sessions,
      publicOrigin: config.publicOrigin,
      fromTrustedProxy: (c) => isTrustedPeer(socketPeer(c), config.trustedProxies),
    }),
  )
  app.route('/', revocationRoutes(createFeedReader(store, clock, config.accessTtlS), revocationHub))
  app.use('/auth/*', sessionMiddleware(sessions))
  app.route('/auth', cookieFactsRoutes(sessions.cookie))
  // An IdP-only deployment: no password login at all.
  if (!config.localLogin) app.post('/auth/login', () => problemResponse('ERR_NOT_FOUND'))
  app.route('/auth/oidc', oidc.routes)
  app.route(
    '/auth',
    authRoutes({
      store,
      sessions,
      hasher,
      audit,
      limiter: core.loginLimiter,
      users: core.users,
      onRateLimited: metrics.onRateLimited,
      idp: { providerOf: oidc.providerOf, prepareLogout: oidc.rpLogout },
    }),
  )
  app.route('/auth/sessions', deviceRoutes({ store, sessions, clock }))
  app.use('/admin/*', sessionMiddleware(sessions), requireRole('admin'))
  app.route('/admin', adminUserRoutes({ store, users: core.users, sessions, clock }))
  app.route('/admin', adminIdentityRoutes({ store, identities: createIdentityAdmin({ store, clock, audit, sessions, providers: config.providers }) }))
  app.route('/admin', adminAuditRoutes(store))
  app.route('/admin', adminKeyRoutes(core.keys))
  app.use('/api/*', sessionMiddleware(sessions))
  app.route('/api', proxy.app)
  if (config.webRoot !== undefined) app.route('/', webRoutes(config.webRoot))

  const ops = new Hono<AppEnv>()
  ops.onError(createErrorHandler(logger, onStoreUnavailable))
  ops.notFound(() => problemResponse('ERR_NOT_FOUND'))
  ops.route('/', metricsApp)
  ops.route('/', healthApp)
  return { app, ops, core, proxy, metrics, oidc, revocationHub, fastPath }
}
