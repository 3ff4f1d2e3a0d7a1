import { Hono, type Context } from 'hono'
import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import type { PasswordHasher } from './auth/passwords.js'
import type { Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import type { AppEnv } from './http/app-env.js'
import { createErrorHandler } from './http/on-error.js'
import { problemResponse } from './http/problem.js'
import { accessLog } from './middleware/access-log.js'
import { crossSiteProtection } from './middleware/cross-site.js'
import { requestId } from './middleware/request-id.js'
import { sessionMiddleware } from './middleware/session.js'
import { authRoutes } from './routes/auth.js'
import { healthRoutes } from './routes/health.js'
import { createCore, type Core } from './core.js'

export interface AppDeps {
  config: GatewayConfig
  store: Store
  clock: Clock
  logger: Logger
  hasher: PasswordHasher
  /** The peer address; the server passes the socket's. */
  clientIp?: (c: Context<AppEnv>) => string
}

export interface Gateway {
  app: Hono<AppEnv>
  core: Core
}

function socketAddress(c: Context<AppEnv>): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress ?? 'unknown'
}

/** Builds the gateway from its dependencies; reads no environment and opens nothing. */
export function createGateway(deps: AppDeps): Gateway {
  const { config, store, clock, logger, hasher } = deps
  const core = createCore({ config, store, clock, hasher })
  const { audit, sessions } = core
  const clientIp = deps.clientIp ?? socketAddress

  const app = new Hono<AppEnv>()
  app.onError(createErrorHandler(logger))
  app.notFound(() => problemResponse('ERR_NOT_FOUND'))
  app.use('*', requestId)
  app.use('*', async (c, next) => {
    c.set('clientIp', clientIp(c))
    await next()
  })
  app.use('*', accessLog(logger))
  app.route('/', healthRoutes(store))
  app.use('*', crossSiteProtection(config.publicOrigin))
  app.use('/auth/*', sessionMiddleware(sessions))
  app.route('/auth', authRoutes({ store, sessions, hasher, audit }))
  return { app, core }
}
