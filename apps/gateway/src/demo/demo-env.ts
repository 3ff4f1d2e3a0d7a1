import { join } from 'node:path'
import { ConfigError } from '../errors.js'
import type { ServiceSpec } from './services.js'

export interface DemoPlan {
  /** The environment the gateway's config is loaded from. */
  gatewayEnv: Record<string, string | undefined>
  services: ServiceSpec[]
  webDir: string
}

function port(env: Record<string, string | undefined>, variable: string, fallback: number): number {
  const raw = env[variable]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new ConfigError(variable, `"${raw}" is not a port (1-65535)`)
  return value
}

/**
 * What `pnpm demo` runs, from the environment: the gateway on PORT (8080), the orders service on
 * DEMO_ORDERS_PORT (4001) and the profile service on DEMO_PROFILE_PORT (4002), all on 127.0.0.1.
 * The public origin follows PORT unless GATEHOUSE_PUBLIC_ORIGIN is set, so the cookie, the CSRF
 * check and the tokens' issuer match the URL printed. Anything set explicitly wins.
 */
export function planDemo(env: Record<string, string | undefined>, repoRoot: string): DemoPlan {
  const gatewayPort = port(env, 'PORT', 8080)
  const ordersPort = port(env, 'DEMO_ORDERS_PORT', 4001)
  const profilePort = port(env, 'DEMO_PROFILE_PORT', 4002)
  const origin = env.GATEHOUSE_PUBLIC_ORIGIN || `http://localhost:${gatewayPort}`
  const webDir = join(repoRoot, 'apps', 'demo-web')
  // Services fetch the JWKS from the gateway directly, whatever the browser-facing origin is.
  const host = env.HOST || '127.0.0.1'
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const gatewayUrl = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${gatewayPort}`
  const serviceEnv = { HOST: '127.0.0.1', GATEHOUSE_URL: gatewayUrl, GATEHOUSE_PUBLIC_ORIGIN: origin }

  return {
    webDir,
    gatewayEnv: {
      ...env,
      PORT: String(gatewayPort),
      GATEHOUSE_PUBLIC_ORIGIN: origin,
      GATEHOUSE_UPSTREAMS: env.GATEHOUSE_UPSTREAMS || `orders=http://127.0.0.1:${ordersPort},profile=http://127.0.0.1:${profilePort}`,
      GATEHOUSE_WEB_ROOT: env.GATEHOUSE_WEB_ROOT || join(webDir, 'dist'),
      // Route rules: the gateway itself refuses the services' admin routes to non-admins.
      GATEHOUSE_CONFIG: env.GATEHOUSE_CONFIG || join(repoRoot, 'apps', 'gateway', 'demo', 'routes.json'),
    },
    services: [
      { name: 'orders', entry: 'apps/demo-orders/src/main.ts', port: ordersPort, env: serviceEnv },
      { name: 'profile', entry: 'apps/demo-profile/src/main.ts', port: profilePort, env: serviceEnv },
    ],
  }
}
