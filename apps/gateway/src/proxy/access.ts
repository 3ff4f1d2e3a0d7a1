import { TOKEN_ERROR_CODES, TokenError } from '@gatehouse/tokens'
import type { RouteConfig } from '../config/routes-file.js'
import { GatewayError } from '../errors.js'
import type { Context } from 'hono'
import type { AppEnv, AuthContext } from '../http/app-env.js'
import { unauthenticatedBecause } from '../http/unauthenticated.js'
import type { ProxyTarget } from './path-safety.js'
import { compileRoutePolicy, type RoutePolicy } from './route-policy.js'

/** Whom a token is for, as the session middleware resolved it. */
export interface TokenSubject {
  sessionId: string
  userId: string
  roles: readonly string[]
}

/** The signed internal token for one upstream (`audience` is its name). */
export type TokenSource = (subject: TokenSubject, audience: string) => Promise<string>

/** The user's access token from their identity provider, for `"token": "idp"` routes (section 7). */
export type IdpTokenSource = (subject: TokenSubject) => Promise<string>

/**
 * Who is calling, as the session check resolved it: the same facts whether the call came
 * through the Hono app or the node fast path in front of it.
 */
export interface Caller {
  auth: AuthContext | undefined
  /** Why the session the cookie named ended, when known: the 401 says it. */
  endedReason: string | undefined
  clientIp: string
  userAgent: string | null
}

/** The caller of a request that went through the Hono app's middleware. */
export function callerOf(c: Context<AppEnv>): Caller {
  return { auth: c.get('auth'), endedReason: c.get('endedReason'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null }
}

/** Allowed: the route's policy, and whom the token is for (none on an anonymous route without a session). */
export interface AccessGranted {
  policy: RoutePolicy
  auth: AuthContext | undefined
}

/**
 * The one decision behind `/api/<name>/*` and `/auth/forward`: may this session call this
 * method on this upstream path, and with which token. Refusals are GatewayErrors (404 unknown
 * upstream, but 401 first without a session; 401 no session, 403 missing role).
 */
export interface AccessDecision {
  /**
   * `caller`: the request's session, or why the session its cookie named ended. A refusal for a
   * missing role is told to `onForbidden` first (the anomaly policy counts them).
   */
  decide(target: ProxyTarget, method: string, caller: Caller): Promise<AccessGranted>
  /**
   * The token the route sends to `audience`: ours, or the user's IdP access token on a
   * `"token": "idp"` route; 401 when the session ended between the cookie check and the mint.
   */
  token(auth: AuthContext, audience: string, policy: RoutePolicy): Promise<string>
}

export interface AccessDeps {
  upstreams: readonly { name: string }[]
  routes: readonly RouteConfig[]
  upstreamTimeoutMs: number
  tokens: TokenSource
  idpTokens?: IdpTokenSource | undefined
  /** Told of every refusal for a role the session lacks (never of cross-site refusals). */
  onForbidden?: ((caller: Caller) => Promise<void>) | undefined
}

// Token refusals that mean the session ended between the cookie check and the mint.
const SESSION_GONE = new Set<string>([TOKEN_ERROR_CODES.sessionEnded, TOKEN_ERROR_CODES.refreshTokenReused])

/** Compiles the route rules once; `decide` is a map lookup and a role comparison. */
export function createAccessDecision(deps: AccessDeps): AccessDecision {
  const known = new Set(deps.upstreams.map((u) => u.name))
  const policyFor = compileRoutePolicy(deps.routes, deps.upstreamTimeoutMs)
  return {
    async decide(target, method, caller) {
      const { auth } = caller
      // The session first: without one, an unknown name gets the same 401 as a known one, so
      // the upstreams cannot be listed without logging in.
      if (!known.has(target.name)) {
        if (auth === undefined) throw unauthenticatedBecause(caller.endedReason)
        throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such upstream' })
      }
      const policy = policyFor(target.name, method, target.rest)
      if (auth === undefined) {
        if (policy.anonymous) return { policy, auth }
        throw unauthenticatedBecause(caller.endedReason)
      }
      const missing = policy.roles.filter((role) => !auth.user.roles.includes(role))
      if (missing.length > 0) {
        await deps.onForbidden?.(caller)
        throw new GatewayError('ERR_FORBIDDEN', { detail: `this route needs the role ${missing.map((r) => `"${r}"`).join(', ')}` })
      }
      return { policy, auth }
    },
    async token({ session, user }, audience, policy) {
      const subject = { sessionId: session.id, userId: user.id, roles: user.roles }
      if (policy.token === 'idp') {
        if (deps.idpTokens === undefined) throw new GatewayError('ERR_IDP_SESSION_REQUIRED')
        return deps.idpTokens(subject)
      }
      try {
        return await deps.tokens(subject, audience)
      } catch (error) {
        if (error instanceof TokenError && SESSION_GONE.has(error.code)) throw new GatewayError('ERR_UNAUTHENTICATED', { cause: error })
        throw error
      }
    },
  }
}
