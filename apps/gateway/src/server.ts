import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import { createGateway, type Gateway } from './app.js'
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js'
import { systemClock, type Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import { createLogger } from './logging/logger.js'
import { openStore } from './open-store.js'
import { prune, schedulePrune } from './maintenance/prune.js'
import { createRequestListener } from './http/request-listener.js'
import { ConfigError } from './errors.js'
import { createNodeServer, type ConnectionLimits } from './http/node-server.js'

export interface RunningGateway {
  url: string
  port: number
  /** The operations listener (`/metrics`, `/healthz`, `/readyz`), when GATEHOUSE_OPS_ADDRESS is set. */
  opsUrl?: string | undefined
  gateway: Gateway
  store: Store
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the store. */
  close(graceMs?: number): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  clock?: Clock
  /** Defaults to argon2id; tests count the password checks with their own. */
  hasher?: PasswordHasher
  /** Serve the API reference page at /reference (`pnpm demo`). */
  apiReference?: boolean
  /** Run the periodic prune here (default true); of several workers on one port, one does. */
  prune?: boolean
  /** Listen on GATEHOUSE_OPS_ADDRESS (default true); the primary of several workers does it for them. */
  opsListener?: boolean
}

function listen(handler: Parameters<typeof createNodeServer>[0], limits: ConnectionLimits, port: number, host: string): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = createNodeServer(handler, limits)
    server.once('error', reject)
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` })
    })
  })
}

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown

/** Offers each request to the `/api` fast path first; the app's listener takes the rest. */
function withFastPath(fastPath: Gateway['fastPath'], app: Listener): Listener {
  return (req, res) => fastPath(req, res) || app(req, res)
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.closeAllConnections()
      resolve()
    }, graceMs)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections()
  })
}

export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.logLevel)
  // Errors of idle pool connections and of the revocation listener (which reconnects by itself).
  // One line without a stack: while Postgres is down the feed's reconnects say so every time.
  const store = await openStore(config, {
    onError: (error) => logger.warn({ code: (error as { code?: unknown }).code, reason: error.message }, 'store background error'),
  })
  const clock = options.clock ?? systemClock
  const gateway = createGateway({ config, store, clock, logger, hasher: options.hasher ?? createPasswordHasher(), apiReference: options.apiReference ?? false })
  // Before listening: the first key is made, and a wrong GATEHOUSE_MASTER_KEY stops the start here.
  try {
    const key = await gateway.core.keys.init()
    if (config.tokenFormat === 'paseto' && (await gateway.core.keys.signingKey()).alg !== 'EdDSA') {
      throw new ConfigError('GATEHOUSE_TOKEN_FORMAT', 'paseto (v4.public) signs with Ed25519, but the key ring still signs with another algorithm; start again once the Ed25519 key is active (40 s after it was made), or run `gatehouse keys rotate --emergency`')
    }
    logger.info({ kid: key.kid, alg: key.alg, created: key.created, rotated: key.rotated }, 'signing key ready')
  } catch (error) {
    await store.close()
    throw error
  }

  // Never throws: an unreachable IdP is logged, named by /readyz and retried.
  await gateway.oidc.providers.start()

  let server: Server
  let url: string
  let ops: { server: Server; url: string } | undefined
  try {
    ;({ server, url } = await listen(withFastPath(gateway.fastPath, createRequestListener(gateway.app.fetch, config.host)), config.connections, config.port, config.host))
    if (config.opsAddress !== undefined && options.opsListener !== false) {
      ops = await listen(createRequestListener(gateway.ops.fetch, config.opsAddress.host), config.connections, config.opsAddress.port, config.opsAddress.host).catch(
        async (error: unknown) => {
          await closeServer(server, 0)
          throw error
        },
      )
    }
  } catch (error) {
    gateway.oidc.providers.stop()
    await store.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  logger.info({ url, ops: ops?.url, database: config.database.kind, upstreams: config.upstreams.map((u) => u.name) }, 'gatehouse listening')

  const stopPrune =
    options.prune === false
      ? () => {}
      : schedulePrune(
          () => prune(store, clock, gateway.core.sessions, { accessTtlS: config.accessTtlS, auditRetentionDays: config.auditRetentionDays }),
          config.pruneEveryS,
          (error) => logger.error({ err: error }, 'prune failed'),
        )

  let closing: Promise<void> | undefined
  const close = (graceMs = 10_000) => {
    closing ??= (async () => {
      // Open revocation streams never finish by themselves: end them so in-flight requests can.
      gateway.revocationHub.close()
      await Promise.all([closeServer(server, graceMs), ops === undefined ? undefined : closeServer(ops.server, graceMs)])
      stopPrune()
      gateway.oidc.providers.stop()
      gateway.proxy.close()
      await store.close()
      logger.info('gatehouse stopped')
    })()
    return closing
  }
  return { url, port, opsUrl: ops?.url, gateway, store, close }
}
