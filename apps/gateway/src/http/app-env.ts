import type { ProxyTarget } from '../proxy/path-safety.js'
import type { SessionState, User } from '@gatehouse/store'

/** The variables the gateway's middleware sets on the context. */
export interface AppVariables {
  requestId: string
  clientIp: string
  /** Set by the session middleware when the cookie names a live session. */
  auth?: AuthContext
  /** The cookie named no live session: the response clears it. */
  clearCookie?: boolean
  /** The cookie named a session that has ended, and why (`device_revoked`, `expired`, …): the 401 says it. */
  endedReason?: string
  /** Set by the proxy: how long the upstream took to answer with headers, ms. */
  upstreamMs?: number
  /** Set by the proxy's path guard: the checked `/api/<name>/<rest>` target. */
  proxyTarget?: ProxyTarget
}

export interface AuthContext {
  /** Without the user agent and address it was created from (see SessionState). */
  session: SessionState
  user: User
}

export interface AppEnv {
  Variables: AppVariables
}
