import { z } from 'zod'
import { GATEWAY_ERRORS, type GatewayErrorCode } from '../errors.js'
import { problemType } from '../http/problem.js'

/**
 * Response shapes of the HTTP API, as `http/views.ts` builds them. Request schemas are not here:
 * the document uses the very ones the routes validate with, exported from the route files.
 */
const iso = z.iso.datetime({ offset: true })

export const UserView = z.object({ id: z.string(), username: z.string(), roles: z.array(z.string()) })

export const SessionView = z.object({
  id: z.string(),
  deviceName: z.string(),
  createdAt: iso,
  lastSeenAt: iso,
  expiresAt: iso,
  absoluteExpiresAt: iso,
})

export const DeviceView = z.object({
  id: z.string(),
  deviceName: z.string(),
  userAgent: z.string().nullable(),
  createdAt: iso,
  lastSeenAt: iso,
  current: z.boolean(),
})

export const AdminUserView = UserView.extend({
  suspended: z.boolean(),
  suspendedAt: iso.nullable(),
  createdAt: iso,
  passwordChangedAt: iso,
})

export const AuditEventView = z.object({
  seq: z.number().int(),
  type: z.string(),
  at: iso,
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  clientIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
})

export const KeyRotationView = z.object({
  kid: z.string(),
  alg: z.enum(['EdDSA', 'ES256', 'RS256']),
  emergency: z.boolean(),
  retired: z.array(z.string()),
  signsFrom: iso.describe('when the new key signs: at once after an emergency, after the activation delay otherwise'),
  dropped: z.array(z.string()).describe('keys no longer published because of this rotation'),
})

export const PublishedKeyView = z.object({
  kid: z.string(),
  alg: z.string(),
  createdAt: iso,
  state: z.enum(['next', 'signing', 'retiring']),
  signsFrom: iso,
  signsUntil: iso.nullable(),
  publishedUntil: iso.nullable(),
})

export const CookieFactsView = z.object({
  name: z.string(),
  attributes: z.array(z.string()),
  maxAge: z.string(),
  sent: z.boolean(),
  valueBytes: z.number().int(),
})

const codes = Object.keys(GATEWAY_ERRORS) as [GatewayErrorCode, ...GatewayErrorCode[]]

/** RFC 9457 problem details, as `http/problem.ts` writes them; extensions (`fields`, `reason`, ...) may follow. */
export const Problem = z
  .looseObject({
    type: z.enum(codes.map(problemType) as [string, ...string[]]),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.enum(codes),
    detail: z.string().optional(),
  })
  .describe(
    `application/problem+json. \`code\` is stable; \`type\` is \`urn:gatehouse:problem:<code without ERR_, lower case, - for _>\`. Codes: ${codes
      .map((c) => `${c} (${GATEWAY_ERRORS[c].status})`)
      .join(', ')}.`,
  )

export const IdentityView = z.object({ provider: z.string(), issuer: z.string(), subject: z.string(), createdAt: iso, lastLoginAt: iso.nullable() })

export const LoginOptionsView = z.object({
  localLogin: z.boolean(),
  providers: z.array(z.object({ name: z.string(), displayName: z.string(), loginUrl: z.string() })),
})
