import * as client from 'openid-client'
import { createRemoteJWKSet, customFetch as joseFetch, type JWTVerifyGetKey } from 'jose'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { ProviderConfig } from '../config/providers-file.js'
import { GatewayError } from '../errors.js'
import type { ReadinessCheck } from '../routes/health.js'

/** What the gateway knows of one IdP once its discovery document was read. */
export interface DiscoveredProvider {
  settings: ProviderConfig
  /** openid-client's configuration: endpoints, client credentials, checks. */
  client: client.Configuration
  /** The IdP's signing keys (its jwks_uri), for logout tokens. */
  keys: JWTVerifyGetKey
}

export interface ProviderHandle {
  readonly settings: ProviderConfig
  /** For a new login: fresh discovery, else ERR_IDP_UNAVAILABLE (503). */
  forLogin(): Promise<DiscoveredProvider>
  /** For work on existing sessions: the last discovery that worked, even if a refresh since failed. */
  current(): Promise<DiscoveredProvider>
}

export interface ProviderRegistry {
  get(name: string): ProviderHandle | undefined
  readonly names: string[]
  /** Discovers every provider (never throws: a failure is logged, reported by /readyz and retried). */
  start(): Promise<void>
  stop(): void
  readiness: ReadinessCheck[]
}

export interface ProviderRegistryOptions {
  providers: readonly ProviderConfig[]
  logger: Logger
  /** When the last discovery was tried (on-demand retries are spaced by it). */
  clock: Clock
  fetch?: typeof fetch
  /** How often a working discovery is refreshed (default an hour). */
  refreshEveryMs?: number
  /** How soon a failed discovery is tried again, by the timer or a login (default 30 s / 5 s). */
  retryEveryMs?: number
  retryOnDemandAfterMs?: number
  /** Seconds each request to the IdP may take (default 10). */
  timeoutS?: number
}

/**
 * Each configured IdP's discovery document (`/.well-known/openid-configuration`), fetched at
 * start and refreshed. An unreachable IdP never stops the gateway: its login answers 503 and
 * /readyz names it until a retry works.
 */
export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const refreshEveryMs = options.refreshEveryMs ?? 3_600_000
  const retryEveryMs = options.retryEveryMs ?? 30_000
  const retryOnDemandAfterMs = options.retryOnDemandAfterMs ?? 5_000
  const timers = new Set<NodeJS.Timeout>()
  let stopped = false

  async function discover(settings: ProviderConfig): Promise<DiscoveredProvider> {
    const insecure = new URL(settings.issuer).protocol === 'http:'
    const execute = [client.enableNonRepudiationChecks, ...(insecure ? [client.allowInsecureRequests] : [])]
    const metadata: Partial<client.ClientMetadata> = {
      client_secret: settings.clientSecret,
      // Only these algorithms are accepted for ID tokens (oauth4webapi takes a list here, though
      // the type says string): never "none", never an HMAC keyed with our own client secret.
      id_token_signed_response_alg: settings.signingAlgs as unknown as string,
    }
    const discoveryOptions: client.DiscoveryRequestOptions = { execute, timeout: options.timeoutS ?? 10 }
    if (options.fetch) discoveryOptions[client.customFetch] = options.fetch as client.CustomFetch
    const config = await client.discovery(new URL(settings.issuer), settings.clientId, metadata, client.ClientSecretPost(settings.clientSecret), discoveryOptions)
    const jwksUri = config.serverMetadata().jwks_uri
    if (jwksUri === undefined) throw new Error('the discovery document has no jwks_uri')
    const keys = createRemoteJWKSet(new URL(jwksUri), options.fetch ? { [joseFetch]: options.fetch } : {})
    return { settings, client: config, keys }
  }

  const handles = new Map<string, ProviderHandle & { ready(): boolean; refresh(): Promise<void> }>()
  for (const settings of options.providers) {
    let last: DiscoveredProvider | undefined
    let failing = true
    let attemptedAt = -Infinity
    let inFlight: Promise<void> | undefined
    const schedule = (ms: number) => {
      if (stopped) return
      const timer = setTimeout(() => {
        timers.delete(timer)
        void refresh()
      }, ms)
      timer.unref()
      timers.add(timer)
    }
    const refresh = () =>
      (inFlight ??= (async () => {
        attemptedAt = options.clock.now()
        try {
          last = await discover(settings)
          if (failing) options.logger.info({ provider: settings.name, issuer: settings.issuer }, 'identity provider discovered')
          failing = false
          schedule(refreshEveryMs)
        } catch (error) {
          failing = true
          const cause = error as { code?: string; message?: string }
          options.logger.warn({ provider: settings.name, issuer: settings.issuer, code: cause.code, error: cause.message }, 'identity provider discovery failed')
          schedule(retryEveryMs)
        } finally {
          inFlight = undefined
        }
      })())
    const unavailable = () => new GatewayError('ERR_IDP_UNAVAILABLE', { detail: `the identity provider "${settings.name}" is unreachable`, headers: { 'retry-after': '30' } })
    // A failing IdP is asked again on demand, at most every few seconds, so recovery is quick.
    const retryIfDue = async () => {
      if (failing && options.clock.now() - attemptedAt >= retryOnDemandAfterMs) await refresh()
      else if (inFlight) await inFlight
    }
    handles.set(settings.name, {
      settings,
      ready: () => !failing,
      refresh,
      async forLogin() {
        await retryIfDue()
        if (failing || last === undefined) throw unavailable()
        return last
      },
      async current() {
        if (last === undefined) await retryIfDue()
        if (last === undefined) throw unavailable()
        return last
      },
    })
  }

  return {
    get: (name) => handles.get(name),
    names: [...handles.keys()],
    async start() {
      await Promise.all([...handles.values()].map((h) => h.refresh()))
    },
    stop() {
      stopped = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
    },
    readiness: [...handles.entries()].map(([name, h]) => ({
      name: `idp:${name}`,
      async check() {
        if (!h.ready()) await h.forLogin()
      },
    })),
  }
}
