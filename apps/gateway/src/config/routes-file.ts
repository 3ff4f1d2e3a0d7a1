import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { AnomaliesSchema, anomalyPolicy, type AnomalyPolicy } from '../anomaly/policy.js'
import { ConfigError } from '../errors.js'
import { lineColumn, offsetOf, scanJson, type JsonPath } from './json-positions.js'

/*
 * GATEHOUSE_CONFIG names a JSON file of route rules for the proxy, e.g.
 *
 *   { "routes": [
 *       { "upstream": "orders", "pathPrefix": "/admin", "roles": ["admin"] },
 *       { "upstream": "orders", "pathPrefix": "/uploads", "methods": ["POST"], "maxBodyBytes": 10485760, "timeoutMs": 120000 },
 *       { "upstream": "profile", "pathPrefix": "/public", "anonymous": true } ] }
 *
 * `pathPrefix` is relative to `/api/<upstream>` and matched on whole segments. The most specific
 * rule wins (see proxy/route-policy.ts); a request no rule matches needs a session and nothing else.
 */

/** One rule of the GATEHOUSE_CONFIG file, checked; the proxy matches requests against these. */
export interface RouteConfig {
  upstream: string
  /** Lower case, decoded, no trailing slash; "/" for the whole upstream. */
  pathPrefix: string
  /** Upper case; undefined for every method. GET also covers HEAD. */
  methods: string[] | undefined
  /** Every one of these roles is needed (403 otherwise). */
  roles: string[]
  /** True: a call without a session passes, and goes out without a token. */
  anonymous: boolean
  /** Overrides GATEHOUSE_UPSTREAM_TIMEOUT for this route. */
  timeoutMs: number | undefined
  /** Request bodies above this are refused with 413. */
  maxBodyBytes: number | undefined
  /** What the upstream receives: the internal JWT (default) or the user's IdP access token. */
  token: 'jwt' | 'idp'
  /** Where the rule is written, for messages. */
  line: number
}

const VARIABLE = 'GATEHOUSE_CONFIG'

/** A refused GATEHOUSE_CONFIG file; `line` is 1-based, 0 when the file could not be read. */
export class RouteConfigError extends ConfigError {
  readonly line: number
  constructor(line: number, message: string) {
    super(VARIABLE, message)
    this.name = 'RouteConfigError'
    this.line = line
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
// Plain, already-decoded path text: no percent signs, ";", queries, backslashes or spaces.
const PREFIX_CHARS = /^\/[A-Za-z0-9._~!$&'()*+,=:@/-]*$/
const plainPrefix = (prefix: string) =>
  PREFIX_CHARS.test(prefix) && !/\/\//.test(prefix) && prefix.split('/').every((s) => s !== '.' && s !== '..')

const RouteSchema = z.strictObject({
  upstream: z.string(),
  pathPrefix: z
    .string()
    .refine(plainPrefix, 'must be a plain path starting with "/" (no "%", ";", "..", "//", "?" or "\\")')
    .optional(),
  methods: z.array(z.enum(METHODS)).min(1).optional(),
  roles: z.array(z.string().min(1).max(64)).optional(),
  anonymous: z.boolean().optional(),
  timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  maxBodyBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  token: z.enum(['jwt', 'idp']).optional(),
})

export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  routes: z.array(RouteSchema).optional(),
  // Checked by config/providers-file.ts (section 7 of the contract).
  localLogin: z.unknown().optional(),
  providers: z.unknown().optional(),
  anomalies: AnomaliesSchema.optional(),
})

/** What the GATEHOUSE_CONFIG file configures. */
export interface ConfigFile {
  routes: RouteConfig[]
  /** Over the defaults; see anomaly/policy.ts. */
  anomalies: AnomalyPolicy
}

function canonicalPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '').toLowerCase()
  return trimmed === '' ? '/' : trimmed
}

/**
 * Reads and checks the route policy file once at start-up. Every refusal is a ConfigError naming
 * GATEHOUSE_CONFIG, the file and the line (and column, for JSON syntax).
 */
export function loadRoutesFile(file: string, upstreamNames: readonly string[]): RouteConfig[] {
  return loadConfigFile(file, upstreamNames).routes
}

export function loadConfigFile(file: string, upstreamNames: readonly string[]): ConfigFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new RouteConfigError(0, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  return parseConfigFile(text.replace(/^\uFEFF/, ''), file, upstreamNames)
}

export function parseRoutesFile(text: string, file: string, upstreamNames: readonly string[]): RouteConfig[] {
  return parseConfigFile(text, file, upstreamNames).routes
}

export function parseConfigFile(text: string, file: string, upstreamNames: readonly string[]): ConfigFile {
  const scan = scanJson(text)
  if (!scan.ok) {
    const { line, column } = lineColumn(text, scan.offset)
    throw new RouteConfigError(line, `${file} line ${line}, column ${column}: not valid JSON: ${scan.message}`)
  }
  const at = (path: JsonPath) => lineColumn(text, offsetOf(scan.positions, path)).line
  const refuse = (path: JsonPath, message: string): never => {
    const where = path.length === 0 ? '' : ` ${formatPath(path)}:`
    const line = at(path)
    throw new RouteConfigError(line, `${file} line ${line}:${where} ${message}`)
  }
  if (scan.duplicateKey !== undefined) refuse(scan.duplicateKey.path, 'duplicate key')

  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // The scan above and JSON.parse agree on valid JSON; this is only a second line of defence.
    throw new RouteConfigError(1, `${file}: not valid JSON`)
  }
  const parsed = ConfigFileSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path as JsonPath
    if (issue.code === 'unrecognized_keys') refuse([...path, issue.keys[0]!], 'unknown setting')
    refuse(path, issue.message)
  }

  const known = new Set(upstreamNames)
  const seen = new Map<string, number>()
  const routes = (parsed.data!.routes ?? []).map((route, index) => {
    const path = ['routes', index] as const
    if (!known.has(route.upstream)) {
      refuse([...path, 'upstream'], `no upstream "${route.upstream}" in GATEHOUSE_UPSTREAMS (${upstreamNames.join(', ') || 'none'})`)
    }
    if (route.anonymous === true && route.roles !== undefined && route.roles.length > 0) {
      refuse([...path, 'anonymous'], 'cannot be true on a route that requires roles')
    }
    if (route.anonymous === true && route.token === 'idp') refuse([...path, 'token'], '"idp" needs a session; the route cannot be anonymous')
    const pathPrefix = canonicalPrefix(route.pathPrefix ?? '/')
    const methods = route.methods === undefined ? undefined : [...new Set(route.methods)].sort()
    const identity = `${route.upstream} ${pathPrefix} ${methods?.join(',') ?? '*'}`
    if (seen.has(identity)) refuse(path, `matches the same requests as the rule on line ${seen.get(identity)}`)
    const line = at(path)
    seen.set(identity, line)
    return {
      upstream: route.upstream,
      pathPrefix,
      methods,
      roles: [...new Set(route.roles ?? [])],
      anonymous: route.anonymous ?? false,
      timeoutMs: route.timeoutMs,
      maxBodyBytes: route.maxBodyBytes,
      token: route.token ?? 'jwt',
      line,
    }
  })
  return { routes, anomalies: anomalyPolicy(parsed.data!.anomalies) }
}

export function formatPath(path: JsonPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}
