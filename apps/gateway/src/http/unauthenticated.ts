import { GatewayError } from '../errors.js'
import type { AppEnv } from './app-env.js'

export type SessionVars = { get<K extends 'auth' | 'endedReason'>(key: K): AppEnv['Variables'][K] }

/** The 401 for a request without a live session; says why when its cookie named one that ended. */
export function unauthenticated(c: SessionVars): GatewayError {
  return unauthenticatedBecause(c.get('endedReason'))
}

/** The same 401, from the reason alone (the node fast path has no context). */
export function unauthenticatedBecause(reason: string | undefined): GatewayError {
  return new GatewayError('ERR_UNAUTHENTICATED', { headers: { 'www-authenticate': 'Cookie' }, extensions: reason === undefined ? {} : { reason } })
}
