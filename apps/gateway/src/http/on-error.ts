import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
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

/** The one place that turns an error into a status and a problem+json body. */
export function createErrorHandler(logger: Logger) {
  return (error: Error, c: Context<AppEnv>): Response => {
    if (error instanceof GatewayError) {
      return problemResponse(error.code, { detail: error.detail, extensions: error.extensions, headers: error.headers })
    }
    if (error instanceof HTTPException) {
      // Hono's own (body limit, malformed JSON in validators): keep the status, not the body.
      return problemResponse(codeForStatus(error.status))
    }
    // Anything else is our bug: log it with the request id, answer without detail.
    logger.error({ err: error, requestId: c.get('requestId') }, 'unhandled error')
    return problemResponse('ERR_INTERNAL', { extensions: { requestId: c.get('requestId') } })
  }
}
