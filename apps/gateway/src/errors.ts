/**
 * The gateway's one error base. Routes and middleware throw these; `http/on-error.ts` is the
 * single place that turns a code into a status and an application/problem+json body.
 */
export const GATEWAY_ERRORS = {
  ERR_BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  ERR_UNAUTHENTICATED: { status: 401, title: 'No valid session' },
  ERR_BAD_CREDENTIALS: { status: 401, title: 'Wrong username or password' },
  ERR_FORBIDDEN: { status: 403, title: 'Not allowed' },
  ERR_CROSS_SITE: { status: 403, title: 'Cross-site request refused' },
  ERR_SUSPENDED: { status: 403, title: 'The account is suspended' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  ERR_CONFLICT: { status: 409, title: 'Conflict' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many attempts' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },
  ERR_UPSTREAM_UNREACHABLE: { status: 502, title: 'The upstream service is unreachable' },
  ERR_NOT_READY: { status: 503, title: 'Not ready' },
  ERR_IDP_UNAVAILABLE: { status: 503, title: 'The identity provider is unreachable' },
  ERR_INVALID_LOGOUT_TOKEN: { status: 400, title: 'The logout token is invalid' },
  ERR_IDP_SESSION_REQUIRED: { status: 403, title: 'This route needs a session from an identity provider' },
  ERR_STORE_UNAVAILABLE: { status: 503, title: 'The session store is unavailable; try again shortly' },
  ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'The upstream service did not answer in time' },
} as const satisfies Record<string, { status: number; title: string }>

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS

export class GatewayError extends Error {
  readonly code: GatewayErrorCode
  readonly status: number
  /** Safe to show the client; never a secret, never SQL. */
  readonly detail: string | undefined
  /** Extra members of the problem body (e.g. which fields failed validation). */
  readonly extensions: Record<string, unknown>
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>

  constructor(
    code: GatewayErrorCode,
    options: { detail?: string; cause?: unknown; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(options.detail ?? GATEWAY_ERRORS[code].title, { cause: options.cause })
    this.name = 'GatewayError'
    this.code = code
    this.status = GATEWAY_ERRORS[code].status
    this.detail = options.detail
    this.extensions = options.extensions ?? {}
    this.headers = options.headers ?? {}
  }
}

/** A configuration the gateway refuses to start with; the message names the variable. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG'
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}
