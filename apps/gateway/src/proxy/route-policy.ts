import type { RouteConfig } from '../config/routes-file.js'
import { canonicalPath } from './path-safety.js'

/** What the gateway enforces on one proxied request. */
export interface RoutePolicy {
  roles: readonly string[]
  anonymous: boolean
  timeoutMs: number
  maxBodyBytes: number | undefined
  /** What the upstream receives: the internal JWT, or the user's IdP access token. */
  token: 'jwt' | 'idp'
}

export type PolicyLookup = (upstream: string, method: string, rest: string) => RoutePolicy

function covers(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`)
}

function allows(methods: readonly string[] | undefined, method: string): boolean {
  // Frameworks answer HEAD with their GET handler, so a rule on GET guards HEAD too.
  return methods === undefined || methods.includes(method) || (method === 'HEAD' && methods.includes('GET'))
}

/**
 * Compiles the route rules once. The most specific rule wins: the longest path prefix, then one
 * that names methods over one that does not, then the earlier in the file. Fields a rule leaves
 * out take the gateway's defaults (session required, GATEHOUSE_UPSTREAM_TIMEOUT, no body limit),
 * never another rule's. Paths are compared decoded and in lower case, so `/Admin` and `/%61dmin`
 * fall under a rule for `/admin`.
 */
export function compileRoutePolicy(routes: readonly RouteConfig[], defaultTimeoutMs: number): PolicyLookup {
  const fallback: RoutePolicy = { roles: [], anonymous: false, timeoutMs: defaultTimeoutMs, maxBodyBytes: undefined, token: 'jwt' }
  const byUpstream = new Map<string, { route: RouteConfig; policy: RoutePolicy }[]>()
  const ordered = routes
    .map((route, index) => ({ route, index }))
    .sort(
      (a, b) =>
        b.route.pathPrefix.length - a.route.pathPrefix.length ||
        Number(b.route.methods !== undefined) - Number(a.route.methods !== undefined) ||
        a.index - b.index,
    )
  for (const { route } of ordered) {
    const policy: RoutePolicy = {
      roles: route.roles,
      anonymous: route.anonymous,
      timeoutMs: route.timeoutMs ?? defaultTimeoutMs,
      maxBodyBytes: route.maxBodyBytes,
      token: route.token,
    }
    const list = byUpstream.get(route.upstream) ?? []
    list.push({ route, policy })
    byUpstream.set(route.upstream, list)
  }

  return (upstream, method, rest) => {
    const rules = byUpstream.get(upstream)
    if (rules === undefined) return fallback
    const path = canonicalPath(rest)
    for (const { route, policy } of rules) {
      if (covers(route.pathPrefix, path) && allows(route.methods, method)) return policy
    }
    return fallback
  }
}
