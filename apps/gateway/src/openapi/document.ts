import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi'
import { z } from 'zod'
import { GATEWAY_ERRORS, type GatewayErrorCode } from '../errors.js'
import { AuditQuery } from '../routes/admin-audit.js'
import { RotateBody } from '../routes/admin-keys.js'
import { LinkBody } from '../routes/admin-identities.js'
import { RolesBody } from '../routes/admin-users.js'
import { LoginBody, PasswordBody } from '../routes/auth.js'
import { AdminUserView, AuditEventView, CookieFactsView, DeviceView, IdentityView, KeyRotationView, LoginOptionsView, Problem, PublishedKeyView, SessionView, UserView } from './schemas.js'

type Method = 'get' | 'post' | 'put' | 'delete' | 'patch' | 'head'

interface Success {
  status: number
  description: string
  schema?: z.ZodType
  contentType?: string
  headers?: Record<string, string>
}

interface Operation {
  method: Method
  path: string
  tag: 'auth' | 'oidc' | 'admin' | 'forward'
  summary: string
  description?: string
  /** Needs the session cookie (and, under /admin, the role `admin`). */
  session: boolean
  request?: RouteConfig['request']
  success: Success | Success[]
  /** The refusals this operation answers itself; any status may also be 503 (store down) or 500. */
  errors: GatewayErrorCode[]
  /**
   * Describe the statuses only, not which codes: for routes documented from the contract rather
   * than from their handlers (section 7), whose codes may grow.
   */
  openCodes?: boolean
}

const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } })
const idParam = z.object({ id: z.string().max(128) })
const nameParam = z.object({ name: z.string().max(64) })
const CROSS_SITE: GatewayErrorCode[] = ['ERR_CROSS_SITE']
const JSON_BODY: GatewayErrorCode[] = ['ERR_BAD_REQUEST', 'ERR_UNSUPPORTED_MEDIA_TYPE', 'ERR_PAYLOAD_TOO_LARGE']
const ADMIN: GatewayErrorCode[] = ['ERR_UNAUTHENTICATED', 'ERR_FORBIDDEN']

const auth: Operation[] = [
  {
    method: 'get', path: '/auth/cookie', tag: 'auth', session: false, summary: 'The session cookie as the gateway sets it',
    description: 'Its name and attributes, and the size of the sealed value this browser sent; never the value (the demo\'s "under the hood" view).',
    success: { status: 200, description: 'The cookie\'s facts', schema: CookieFactsView },
    errors: [],
  },
  {
    method: 'post', path: '/auth/login', tag: 'auth', session: false, summary: 'Log in with a username and password',
    description: 'Starts a new session for this device; a session this browser held before ends. Answers 404 when the configuration turns local login off.',
    request: { body: { required: true, ...json(LoginBody) } },
    success: { status: 200, description: 'Logged in; `Set-Cookie` carries the session cookie', schema: z.object({ user: UserView, session: SessionView }), headers: { 'set-cookie': 'The session cookie' } },
    errors: [...JSON_BODY, 'ERR_BAD_CREDENTIALS', 'ERR_SUSPENDED', 'ERR_RATE_LIMITED', 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  {
    method: 'post', path: '/auth/logout', tag: 'auth', session: true, summary: 'Log out this session',
    description: 'The session is revoked server-side and the cookie cleared. A session from an identity provider answers 200 with the provider\'s `endSessionUrl` (RP-initiated logout).',
    success: [
      { status: 204, description: 'Logged out' },
      { status: 200, description: 'Logged out of a session from an identity provider: where to end the session there too', schema: z.object({ endSessionUrl: z.url() }) },
    ],
    errors: ['ERR_UNAUTHENTICATED', ...CROSS_SITE],
  },
  {
    method: 'get', path: '/auth/session', tag: 'auth', session: true, summary: 'The current user and session',
    success: { status: 200, description: 'The session (with its identity provider, `null` for a password login, once providers are configured)', schema: z.object({ user: UserView, session: SessionView }) },
    errors: ['ERR_UNAUTHENTICATED'],
  },
  {
    method: 'get', path: '/auth/sessions', tag: 'auth', session: true, summary: "The user's active sessions (devices)",
    success: { status: 200, description: 'Active sessions of this user only; `current` marks this one', schema: z.object({ sessions: z.array(DeviceView) }) },
    errors: ['ERR_UNAUTHENTICATED'],
  },
  {
    method: 'delete', path: '/auth/sessions/{id}', tag: 'auth', session: true, summary: 'Log out one device',
    request: { params: idParam },
    success: { status: 204, description: 'That session is revoked' },
    errors: ['ERR_UNAUTHENTICATED', 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  {
    method: 'delete', path: '/auth/sessions', tag: 'auth', session: true, summary: 'Log out everywhere',
    description: 'Every session of the user, this one included; `?except=current` keeps this one.',
    request: { query: z.object({ except: z.literal('current').optional() }) },
    success: { status: 204, description: 'The sessions are revoked' },
    errors: ['ERR_UNAUTHENTICATED', 'ERR_BAD_REQUEST', ...CROSS_SITE],
  },
  {
    method: 'post', path: '/auth/password', tag: 'auth', session: true, summary: 'Change the password',
    request: { body: { required: true, ...json(PasswordBody) } },
    success: { status: 204, description: 'Changed; every other session of the user is revoked' },
    errors: [...JSON_BODY, 'ERR_UNAUTHENTICATED', 'ERR_BAD_CREDENTIALS', 'ERR_RATE_LIMITED', ...CROSS_SITE],
  },
]

// Contract section 7, described from the contract (the handlers live in the OIDC routes).
const oidc: Operation[] = ([
  {
    method: 'get', path: '/auth/oidc/providers', tag: 'oidc', session: false, summary: 'How one may sign in here',
    description: 'Whether the password form is offered (`localLogin`) and, per identity provider, the path that starts its login.',
    success: { status: 200, description: 'The login options', schema: LoginOptionsView },
    errors: [],
  },
  {
    method: 'get', path: '/auth/oidc/{name}/login', tag: 'oidc', session: false, summary: 'Start a login at an identity provider',
    description: 'Authorization code flow with PKCE S256, `state` and `nonce`.',
    request: { params: nameParam, query: z.object({ returnTo: z.string().max(2048).optional() }) },
    success: { status: 302, description: 'Redirect to the identity provider', headers: { location: "The provider's authorization endpoint" } },
    errors: ['ERR_NOT_FOUND', 'ERR_NOT_READY'],
  },
  {
    method: 'get', path: '/auth/oidc/{name}/callback', tag: 'oidc', session: false, summary: "The identity provider's redirect back",
    description: 'On success, a redirect to `returnTo` (a same-origin path, else `/`) with the session cookie; on failure no session is created: a redirect to `/?loginError=<code>` or a 400.',
    request: { params: nameParam },
    success: { status: 302, description: 'Redirect to the app', headers: { location: 'returnTo, or /?loginError=<code>', 'set-cookie': 'The session cookie, on success' } },
    errors: ['ERR_BAD_REQUEST', 'ERR_NOT_FOUND', 'ERR_NOT_READY'],
  },
  {
    method: 'post', path: '/auth/oidc/{name}/backchannel-logout', tag: 'oidc', session: false, summary: 'OpenID Connect back-channel logout',
    request: { params: nameParam, body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: z.object({ logout_token: z.string() }) } } } },
    success: { status: 200, description: 'The matching sessions are revoked on every gateway' },
    errors: ['ERR_BAD_REQUEST', 'ERR_NOT_FOUND'],
  },
] as Operation[]).map((op): Operation => ({ ...op, openCodes: true }))

const admin: Operation[] = [
  {
    method: 'get', path: '/admin/users', tag: 'admin', session: true, summary: 'Every user',
    success: { status: 200, description: 'Users with roles and suspension', schema: z.object({ users: z.array(AdminUserView) }) },
    errors: ADMIN,
  },
  {
    method: 'get', path: '/admin/users/{id}/sessions', tag: 'admin', session: true, summary: "A user's active sessions",
    request: { params: idParam },
    success: { status: 200, description: 'Active sessions', schema: z.object({ sessions: z.array(DeviceView.extend({ clientIp: z.string().nullable() })) }) },
    errors: [...ADMIN, 'ERR_NOT_FOUND'],
  },
  {
    method: 'delete', path: '/admin/users/{id}/sessions', tag: 'admin', session: true, summary: "Revoke a user's sessions",
    request: { params: idParam },
    success: { status: 204, description: 'Revoked (reason `admin_revoked`)' },
    errors: [...ADMIN, 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  {
    method: 'get', path: '/admin/users/{id}/identities', tag: 'admin', session: true, summary: "A user's linked identities at identity providers",
    request: { params: idParam },
    success: { status: 200, description: 'Linked identities', schema: z.object({ identities: z.array(IdentityView) }) },
    errors: [...ADMIN, 'ERR_NOT_FOUND'],
  },
  {
    method: 'post', path: '/admin/users/{id}/identities', tag: 'admin', session: true, summary: 'Link an identity ahead of its first login',
    request: { params: idParam, body: { required: true, ...json(LinkBody) } },
    success: { status: 201, description: 'Linked', schema: z.object({ identity: IdentityView }) },
    errors: [...ADMIN, ...JSON_BODY, 'ERR_NOT_FOUND', 'ERR_CONFLICT', ...CROSS_SITE],
  },
  {
    method: 'delete', path: '/admin/users/{id}/identities/{provider}/{subject}', tag: 'admin', session: true, summary: 'Unlink an identity; the sessions it started end',
    request: { params: z.object({ id: z.string().max(128), provider: z.string().max(32), subject: z.string().max(255) }) },
    success: { status: 204, description: 'Unlinked (its sessions revoked, `admin_revoked`)' },
    errors: [...ADMIN, 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  {
    method: 'put', path: '/admin/users/{id}/roles', tag: 'admin', session: true, summary: "Change a user's roles",
    request: { params: idParam, body: { required: true, ...json(RolesBody) } },
    success: { status: 200, description: "The user; the user's sessions are revoked", schema: z.object({ user: AdminUserView }) },
    errors: [...ADMIN, ...JSON_BODY, 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  ...(['suspend', 'unsuspend'] as const).map(
    (verb): Operation => ({
      method: 'post', path: `/admin/users/{id}/${verb}`, tag: 'admin', session: true,
      summary: verb === 'suspend' ? 'Suspend a user: every session revoked, login blocked' : 'Lift a suspension',
      request: { params: idParam },
      success: { status: 200, description: 'The user', schema: z.object({ user: AdminUserView }) },
      errors: [...ADMIN, 'ERR_NOT_FOUND', ...CROSS_SITE],
    }),
  ),
  {
    method: 'delete', path: '/admin/users/{id}', tag: 'admin', session: true, summary: 'Delete a user',
    request: { params: idParam },
    success: { status: 204, description: 'Sessions revoked (`user_deleted`), then the account deleted' },
    errors: [...ADMIN, 'ERR_NOT_FOUND', ...CROSS_SITE],
  },
  {
    method: 'get', path: '/admin/keys', tag: 'admin', session: true, summary: 'Every published signing key with its state and times',
    description: '`next`: published, signs from `signsFrom`; `signing`; `retiring`: signs no more, published until `publishedUntil` so the tokens it signed still verify.',
    success: { status: 200, description: 'The published keys, newest first', schema: z.object({ keys: z.array(PublishedKeyView) }) },
    errors: ADMIN,
  },
  {
    method: 'post', path: '/admin/keys/rotate', tag: 'admin', session: true, summary: 'Rotate the signing key',
    description: 'The body is optional; `emergency` drops the old keys from the JWKS at once.',
    request: { body: { required: false, ...json(RotateBody) } },
    success: { status: 200, description: 'The new key', schema: KeyRotationView },
    errors: [...ADMIN, ...JSON_BODY, ...CROSS_SITE],
  },
  {
    method: 'get', path: '/admin/audit', tag: 'admin', session: true, summary: 'Audit events, newest first',
    request: { query: AuditQuery },
    success: { status: 200, description: 'Events', schema: z.object({ events: z.array(AuditEventView) }) },
    errors: [...ADMIN, 'ERR_BAD_REQUEST'],
  },
]

const ORIGINAL_HEADERS = z.object({
  'x-original-method': z.string().optional().describe('nginx: `$request_method`'),
  'x-original-uri': z.string().optional().describe('nginx: `$request_uri`, `/api/<name>/<rest>`'),
  'x-forwarded-method': z.string().optional().describe('Traefik ForwardAuth'),
  'x-forwarded-uri': z.string().optional().describe('Traefik ForwardAuth'),
})
const FORWARD_DESCRIPTION =
  'The sub-request of nginx `auth_request`, Traefik `ForwardAuth` or Envoy `ext_authz` (contract section 8). The same path-safety, cross-site, session, route-rule and role checks as `/api/<name>/*`. Only connections from `GATEHOUSE_TRUSTED_PROXIES` are answered (403 otherwise). Any method: nginx and Envoy send the original one.'
const FORWARD_SUCCESS = {
  status: 200,
  description: 'Allowed. `Authorization: Bearer <token for <name>>` (absent on an anonymous route without a session), and `Set-Cookie` when the credential was rotated',
  headers: { authorization: 'Bearer <token for the upstream>', 'set-cookie': 'The rotated session cookie, when rotation happened' },
}
const FORWARD_METHODS: Method[] = ['get', 'head', 'post', 'put', 'patch', 'delete']
const forward: Operation[] = FORWARD_METHODS.flatMap((method): Operation[] => [
  {
    method, path: '/auth/forward', tag: 'forward', session: true, summary: 'Forward authentication (nginx, Traefik)',
    description: FORWARD_DESCRIPTION, request: { headers: ORIGINAL_HEADERS }, success: FORWARD_SUCCESS,
    errors: ['ERR_BAD_REQUEST', 'ERR_UNAUTHENTICATED', 'ERR_FORBIDDEN', 'ERR_CROSS_SITE'],
  },
  {
    method, path: '/auth/forward/api/{name}/{rest}', tag: 'forward', session: true, summary: "Forward authentication (Envoy's path_prefix form)",
    description: `${FORWARD_DESCRIPTION} Here the original request is this method and the path after \`/auth/forward\`.`,
    request: { params: z.object({ name: z.string(), rest: z.string() }) }, success: FORWARD_SUCCESS,
    errors: ['ERR_BAD_REQUEST', 'ERR_UNAUTHENTICATED', 'ERR_FORBIDDEN', 'ERR_CROSS_SITE'],
  },
])

/** Per status, the codes this operation answers with it; any other status is `default`. */
function problemResponses(problem: z.ZodType, codes: GatewayErrorCode[], openCodes: boolean) {
  const byStatus = new Map<number, GatewayErrorCode[]>()
  for (const code of new Set(codes)) byStatus.set(GATEWAY_ERRORS[code].status, [...(byStatus.get(GATEWAY_ERRORS[code].status) ?? []), code])
  const responses: Record<string, { description: string; content: { 'application/problem+json': { schema: z.ZodType } } }> = {}
  for (const [status, list] of byStatus) {
    const schema = openCodes ? problem : z.intersection(problem, z.object({ code: z.enum(list as [GatewayErrorCode, ...GatewayErrorCode[]]) }))
    responses[status] = { description: openCodes ? `e.g. ${list.join(', ')}` : list.join(', '), content: { 'application/problem+json': { schema } } }
  }
  responses.default = { description: 'Any other refusal or failure (503 `ERR_NOT_READY` with `Retry-After` while the store is down)', content: { 'application/problem+json': { schema: problem } } }
  return responses
}

function successResponse(success: Success) {
  const headers = success.headers === undefined ? undefined : Object.fromEntries(Object.entries(success.headers).map(([name, description]) => [name, { description, schema: { type: 'string' as const } }]))
  return {
    description: success.description,
    ...(headers === undefined ? {} : { headers }),
    ...(success.schema === undefined ? {} : { content: { [success.contentType ?? 'application/json']: { schema: success.schema } } }),
  }
}

function register(app: OpenAPIHono, problem: z.ZodType, op: Operation): void {
  const successes = Array.isArray(op.success) ? op.success : [op.success]
  app.openAPIRegistry.registerPath(
    createRoute({
      method: op.method,
      path: op.path,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      ...(op.session ? { security: [{ sessionCookie: [] }] } : {}),
      ...(op.request === undefined ? {} : { request: op.request }),
      responses: {
        ...Object.fromEntries(successes.map((success) => [success.status, successResponse(success)])),
        ...problemResponses(problem, op.errors, op.openCodes ?? false),
      },
    }),
  )
}

/** Every documented operation: `/auth`, `/auth/oidc`, `/admin`, `/auth/forward`. */
export const OPERATIONS: readonly Operation[] = [...auth, ...oidc, ...admin, ...forward]

/** The OpenAPI 3.1 document of the gateway's HTTP API, built from the schemas the routes validate with. */
export function buildOpenApiDocument(options: { publicOrigin?: string } = {}) {
  const app = new OpenAPIHono()
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'gatehouse',
    description: 'The HttpOnly session cookie (`__Host-gatehouse` when the public origin is https), set by a login',
  })
  const problem = app.openAPIRegistry.register('Problem', Problem)
  for (const op of OPERATIONS) register(app, problem, op)
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse',
      version: '1',
      description:
        'The gateway\'s own HTTP API. Bodies are JSON; errors are `application/problem+json` (RFC 9457) with a stable `code`. State-changing requests whose `Origin` is not the public origin, or whose `Sec-Fetch-Site` is `cross-site` or `same-site`, get 403 `ERR_CROSS_SITE`. Calls under `/api/<name>/*` are proxied to the services and are not described here.',
    },
    ...(options.publicOrigin === undefined ? {} : { servers: [{ url: options.publicOrigin }] }),
    tags: [
      { name: 'auth', description: 'Password login, the session and its devices (contract section 2)' },
      { name: 'oidc', description: 'OpenID Connect identity providers (contract section 7)' },
      { name: 'admin', description: 'Administration, for the role `admin` (contract section 5)' },
      { name: 'forward', description: 'Forward authentication for another reverse proxy (contract section 8)' },
    ],
  })
}
