import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { STORE_ERROR_CODES } from '@gatehouse/store'
import { GatewayError, type GatewayErrorCode } from '../errors.js'
import type { AppEnv } from './app-env.js'
import { problemResponse } from './problem.js'

function codeForStatus(status: number): GatewayErrorCode {
  switch (status) {
    case 401: return 'ERR_UNAUTHENTICATED'
    case 403: return 'ERR_FORBIDDEN'
    case 404: return 'ERR_NOT_FOUND'
    case 405: return 'ERR_METHOD_NOT_ALLOWED'
    case 413: return 'ERR_PAYLOAD_TOO_LARGE'
    case 415: return 'ERR_UNSUPPORTED_MEDIA_TYPE'
    default: return status >= 400 && status < 500 ? 'ERR_BAD_REQUEST' : 'ERR_INTERNAL'
  }
}

/** Seconds a client is asked to wait while the store is down: a restart or a failover. */
export const STORE_RETRY_AFTER_S = 5

/** The store's ERR_STORE_UNAVAILABLE, on the error or down its causes (a token error wraps one). */
function storeFailure(error: unknown): (Error & { code: string }) | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === STORE_ERROR_CODES.unavailable) return e as Error & { code: string }
  }
  return undefined
}

/**
 * The one place that turns an error into a status and a problem+json body. A store that fails
 * or does not answer is not our bug: 503 with Retry-After, one warning line naming the failed
 * operation (no stack: the store's messages carry no SQL or values), and a count in /metrics.
 */
export function createErrorHandler(logger: Logger, onStoreUnavailable: () => void = () => {}) {
  const respond = createErrorResponder(logger, onStoreUnavailable)
  return (error: Error, c: Context<AppEnv>): Response => respond(error, c.get('requestId'))
}

/** The same, from the request id alone (the node fast path has no context). */
export function createErrorResponder(logger: Logger, onStoreUnavailable: () => void = () => {}) {
  return (error: Error, requestId: string | undefined): Response => {
    const store = storeFailure(error)
    if (store !== undefined) {
      onStoreUnavailable()
      logger.warn({ requestId, code: store.code, reason: store.message }, 'store unavailable')
      return problemResponse('ERR_STORE_UNAVAILABLE', { headers: { 'retry-after': String(STORE_RETRY_AFTER_S) } })
    }
    if (error instanceof GatewayError) {
      return problemResponse(error.code, { detail: error.detail, extensions: error.extensions, headers: error.headers })
    }
    if (error instanceof HTTPException) {
      // Hono's own (body limit, malformed JSON in validators): keep the status, not the body.
      return problemResponse(codeForStatus(error.status))
    }
    // Anything else is our bug: log it with the request id, answer without detail.
    logger.error({ err: error, requestId }, 'unhandled error')
    return problemResponse('ERR_INTERNAL', { extensions: { requestId } })
  }
}
