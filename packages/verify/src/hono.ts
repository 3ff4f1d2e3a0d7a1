import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { GatehouseClaims } from './claims.js'
import { GatehouseTokenError, TOKEN_ERROR_CODES } from './errors.js'
import type { GatehouseVerifier } from './verifier.js'

/** `new Hono<{ Variables: GatehouseAuthVariables }>()` types `c.get('auth')`. */
export type GatehouseAuthVariables = { auth: GatehouseClaims }

export interface GatehouseAuthOptions {
  verifier: GatehouseVerifier
  /** Every listed role must be present in the token's `roles`; otherwise 403. */
  roles?: readonly string[]
  /** The realm announced in WWW-Authenticate. Default "gatehouse". */
  realm?: string
}

/** Body `code` of the 403 answer; the 401 / 503 answers carry a GatehouseTokenErrorCode. */
export const INSUFFICIENT_ROLE_CODE = 'ERR_INSUFFICIENT_ROLE'

// Goes inside a quoted-string of a response header: no quotes, backslashes or control characters.
const SAFE_REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

function fail(message: string): never {
  throw new TypeError(`@gatehouse/verify/hono: ${message}`)
}

function problem(c: Context, status: 401 | 403 | 503, code: string, title: string, challenge?: string): Response {
  // RFC 9457: with type about:blank the title is the status phrase; `code` says what was wrong.
  const headers: Record<string, string> = { 'content-type': 'application/problem+json', 'cache-control': 'no-store' }
  if (challenge !== undefined) headers['www-authenticate'] = challenge
  return c.body(JSON.stringify({ type: 'about:blank', title, status, code }), status, headers)
}

/** The token from `Authorization: Bearer <token>`, or undefined when the request carries none (RFC 6750 §3.1). */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  const space = trimmed.indexOf(' ')
  if (space === -1 || trimmed.slice(0, space).toLowerCase() !== 'bearer') return undefined
  const token = trimmed.slice(space + 1).trim()
  return token.length === 0 ? undefined : token
}

/**
 * Verifies the bearer token and exposes its claims as `c.get('auth')`.
 * 401 missing or refused token, 403 missing role, 503 when the gateway's key
 * set cannot be fetched (the token may well be valid, the client should retry).
 */
export function gatehouseAuth(options: GatehouseAuthOptions): MiddlewareHandler<{ Variables: GatehouseAuthVariables }> {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const { verifier, roles = [], realm = 'gatehouse' } = options
  if (typeof verifier !== 'object' || verifier === null || typeof verifier.verify !== 'function') {
    fail('verifier must come from createVerifier()')
  }
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string' && role.length > 0)) {
    fail('roles must be an array of non-empty strings')
  }
  if (typeof realm !== 'string' || !SAFE_REALM.test(realm)) fail('realm must be a plain printable string')
  const requiredRoles: readonly string[] = [...roles]
  const challenge = `Bearer realm="${realm}"`

  return createMiddleware<{ Variables: GatehouseAuthVariables }>(async (c, next) => {
    const token = bearerToken(c.req.header('authorization'))
    if (token === undefined) {
      // No error attribute: RFC 6750 §3.1 reserves it for requests that did present a token.
      return problem(c, 401, TOKEN_ERROR_CODES.tokenMissing, 'Unauthorized', challenge)
    }

    let claims: GatehouseClaims
    try {
      claims = await verifier.verify(token)
    } catch (error) {
      if (!(error instanceof GatehouseTokenError)) throw error
      if (error.code === TOKEN_ERROR_CODES.jwksUnavailable || error.code === TOKEN_ERROR_CODES.revocationsStale) {
        return problem(c, 503, error.code, 'Service Unavailable')
      }
      return problem(c, 401, error.code, 'Unauthorized', `${challenge}, error="invalid_token"`)
    }

    if (!requiredRoles.every((role) => claims.roles.includes(role))) {
      return problem(c, 403, INSUFFICIENT_ROLE_CODE, 'Forbidden', `${challenge}, error="insufficient_scope"`)
    }
    c.set('auth', claims)
    await next()
  })
}
