import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Store } from '@gatehouse/store'
import { createGateway, type Gateway } from './app.js'
import { createPasswordHasher } from './auth/passwords.js'
import { systemClock, type Clock } from './clock.js'
import type { GatewayConfig } from './config/config.js'
import { createLogger } from './logging/logger.js'
import { openStore } from './open-store.js'
import { prune, schedulePrune } from './maintenance/prune.js'
import { createRequestListener } from './http/request-listener.js'

export interface RunningGateway {
  url: string
  port: number
  gateway: Gateway
  store: Store
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the store. */
  close(graceMs?: number): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  clock?: Clock
}

export async function startGateway(config: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config.logLevel)
  // Errors of idle pool connections and of the revocation listener (which reconnects by itself).
  const store = await openStore(config, { onError: (error) => logger.warn({ err: error }, 'store background error') })
  const clock = options.clock ?? systemClock
  const gateway = createGateway({ config, store, clock, logger, hasher: createPasswordHasher() })
  // Before listening: the first key is made, and a wrong GATEHOUSE_MASTER_KEY stops the start here.
  try {
    const key = await gateway.core.keys.init()
    logger.info({ kid: key.kid, alg: key.alg, created: key.created, rotated: key.rotated }, 'signing key ready')
  } catch (error) {
    await store.close()
    throw error
  }

  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(createRequestListener(gateway.app.fetch, config.host))
    s.listen(config.port, config.host, () => resolve(s))
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  logger.info({ url, database: config.database.kind, upstreams: config.upstreams.map((u) => u.name) }, 'gatehouse listening')

  const stopPrune = schedulePrune(
    () => prune(store, clock, gateway.core.sessions, { auditRetentionDays: config.auditRetentionDays }),
    config.pruneEveryS,
    (error) => logger.error({ err: error }, 'prune failed'),
  )

  let closing: Promise<void> | undefined
  const close = (graceMs = 10_000) => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
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
      stopPrune()
      gateway.proxy.close()
      await store.close()
      logger.info('gatehouse stopped')
    })()
    return closing
  }
  return { url, port, gateway, store, close }
}
