import { join } from 'node:path'
import { ConfigError } from '../../gateway/src/errors.js'

/** A port the demo needs, and the variable that moves it. */
export interface PortClaim {
  port: number
  host: string
  /** e.g. `PORT`, `DEMO_ORDERS_PORT`. */
  variable: string
  /** What listens there, for messages: "the gateway", "the orders service". */
  what: string
}

/** A process the launcher starts next to the gateway. */
export interface ChildSpec {
  name: string
  /** Entry file, relative to the repository root. */
  entry: string
  port: number
  env: Record<string, string>
}

/**
 * The demo's children, one line each. `upstream` children are proxied by the gateway under
 * `/api/<name>/*`. Adding a child (a demo IdP, another service) is one more entry here.
 */
export interface ChildDefinition {
  name: string
  entry: string
  portVariable: string
  defaultPort: number
  upstream: boolean
}

export const DEMO_CHILDREN: readonly ChildDefinition[] = [
  { name: 'orders', entry: 'apps/demo-orders/src/main.ts', portVariable: 'DEMO_ORDERS_PORT', defaultPort: 4001, upstream: true },
  { name: 'profile', entry: 'apps/demo-profile/src/main.ts', portVariable: 'DEMO_PROFILE_PORT', defaultPort: 4002, upstream: true },
]

export interface DemoPlan {
  /** The environment the gateway's config is loaded from. */
  gatewayEnv: Record<string, string | undefined>
  children: ChildSpec[]
  /** Every port to check before anything starts: the gateway's first. */
  ports: PortClaim[]
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
 * What `pnpm demo` runs, from the environment: the gateway on PORT (8080) and each child of
 * DEMO_CHILDREN on its own variable's port, all on 127.0.0.1. The public origin follows PORT
 * unless GATEHOUSE_PUBLIC_ORIGIN is set, so the cookie, the CSRF check and the tokens' issuer
 * match the URL printed. Anything set explicitly wins.
 */
export function planDemo(env: Record<string, string | undefined>, repoRoot: string, children = DEMO_CHILDREN): DemoPlan {
  const gatewayPort = port(env, 'PORT', 8080)
  const origin = env.GATEHOUSE_PUBLIC_ORIGIN || `http://localhost:${gatewayPort}`
  const webDir = join(repoRoot, 'apps', 'demo-web')
  // Children fetch the JWKS from the gateway directly, whatever the browser-facing origin is.
  const host = env.HOST || '127.0.0.1'
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const gatewayUrl = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${gatewayPort}`
  const childEnv = { HOST: '127.0.0.1', GATEHOUSE_URL: gatewayUrl, GATEHOUSE_PUBLIC_ORIGIN: origin }

  const specs = children.map((c) => ({ ...c, port: port(env, c.portVariable, c.defaultPort) }))
  const upstreams = specs.filter((c) => c.upstream).map((c) => `${c.name}=http://127.0.0.1:${c.port}`)
  return {
    webDir,
    gatewayEnv: {
      ...env,
      PORT: String(gatewayPort),
      GATEHOUSE_PUBLIC_ORIGIN: origin,
      GATEHOUSE_UPSTREAMS: env.GATEHOUSE_UPSTREAMS || upstreams.join(','),
      GATEHOUSE_WEB_ROOT: env.GATEHOUSE_WEB_ROOT || join(webDir, 'dist'),
      // Route rules: the gateway itself refuses the services' admin routes to non-admins.
      GATEHOUSE_CONFIG: env.GATEHOUSE_CONFIG || join(repoRoot, 'apps', 'demo', 'routes.json'),
      // Declared roles: a typo in the admin screen is refused instead of creating a new role.
      GATEHOUSE_ROLES: env.GATEHOUSE_ROLES || 'admin,user,auditor',
      // A readable console: warnings and errors only, unless LOG_LEVEL says otherwise.
      LOG_LEVEL: env.LOG_LEVEL || 'warn',
    },
    children: specs.map((c) => ({ name: c.name, entry: c.entry, port: c.port, env: childEnv })),
    ports: [
      { port: gatewayPort, host, variable: 'PORT', what: 'the gateway' },
      ...specs.map((c) => ({ port: c.port, host: '127.0.0.1', variable: c.portVariable, what: `the ${c.name} service` })),
    ],
  }
}
