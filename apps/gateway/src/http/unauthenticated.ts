import { GatewayError } from '../errors.js'
import type { AppEnv } from './app-env.js'

export type SessionVars = { get<K extends 'auth' | 'endedReason'>(key: K): AppEnv['Variables'][K] }

/** The 401 for a request without a live session; says why when its cookie named one that ended. */
export function unauthenticated(c: SessionVars): GatewayError {
  const reason = c.get('endedReason')
  return new GatewayError('ERR_UNAUTHENTICATED', { headers: { 'www-authenticate': 'Cookie' }, extensions: reason === undefined ? {} : { reason } })
}
