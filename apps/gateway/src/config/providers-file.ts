import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { lineColumn, offsetOf, scanJson, type JsonPath } from './json-positions.js'
import { formatPath, RouteConfigError, type RouteConfig } from './routes-file.js'

/*
 * The identity part of the GATEHOUSE_CONFIG file (contract section 7):
 *
 *   { "localLogin": true,
 *     "providers": [
 *       { "name": "corp", "issuer": "https://idp.example.com/realms/corp", "clientId": "gatehouse",
 *         "clientSecretEnv": "CORP_CLIENT_SECRET", "scopes": ["openid", "profile", "email", "offline_access"],
 *         "rolesClaim": "roles", "defaultRoles": ["user"], "createUsers": true } ] }
 *
 * The route rules of the same file are read by routes-file.ts; syntax errors are reported there.
 */

/** Algorithms an ID token or logout token may be signed with: asymmetric only, never "none" or HMAC. */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const

/** One identity provider, checked; the secret already taken from its environment variable. */
export interface ProviderConfig {
  name: string
  /** Shown on the login button. */
  displayName: string
  /** Exactly as the IdP's discovery document and its tokens say it (no trailing slash added or removed). */
  issuer: string
  clientId: string
  clientSecret: string
  clientSecretEnv: string
  scopes: string[]
  /** Claim of the ID token holding the user's roles (array or space-separated string); none: defaultRoles. */
  rolesClaim: string | undefined
  defaultRoles: string[]
  /** True: a first login creates the local user; false: only identities an admin linked can log in. */
  createUsers: boolean
  /** Accepted `alg` of ID tokens and logout tokens. */
  signingAlgs: string[]
  line: number
}

export interface IdentityConfig {
  /** False: POST /auth/login answers 404 (an IdP-only deployment). */
  localLogin: boolean
  providers: ProviderConfig[]
}

const roleName = z.string().min(1).max(64)

const ProviderSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lower-case letters, digits or "-"'),
  displayName: z.string().min(1).max(64).optional(),
  issuer: z.string().min(1),
  clientId: z.string().min(1).max(256),
  clientSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable'),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'is not a scope token')).min(1).optional(),
  rolesClaim: z.string().min(1).max(128).optional(),
  defaultRoles: z.array(roleName).optional(),
  createUsers: z.boolean().optional(),
  signingAlgs: z.array(z.enum(ASYMMETRIC_ALGS)).min(1).optional(),
})

const SectionSchema = z.object({
  localLogin: z.boolean().optional(),
  providers: z.array(ProviderSchema).optional(),
})

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Checks the `providers` and `localLogin` settings once at start-up. `env` supplies each
 * provider's client secret (named by `clientSecretEnv`, never written in the file). Errors name
 * the file and the line.
 */
export function parseIdentityConfig(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
  routes: readonly RouteConfig[],
  options: { production: boolean },
): IdentityConfig {
  const scan = scanJson(text)
  // routes-file.ts has already refused a file that is not JSON.
  if (!scan.ok) throw new RouteConfigError(1, `${file}: not valid JSON`)
  const at = (path: JsonPath) => lineColumn(text, offsetOf(scan.positions, path)).line
  const refuse = (path: JsonPath, message: string): never => {
    const line = at(path)
    throw new RouteConfigError(line, `${file} line ${line}: ${formatPath(path)}: ${message}`)
  }
  const parsed = SectionSchema.safeParse(JSON.parse(text))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path as JsonPath
    if (issue.code === 'unrecognized_keys') refuse([...path, issue.keys[0]!], 'unknown setting')
    refuse(path, issue.message)
  }
  const section = parsed.data!
  const names = new Set<string>()
  const providers = (section.providers ?? []).map((p, index): ProviderConfig => {
    const path = ['providers', index] as const
    if (names.has(p.name)) refuse([...path, 'name'], `a provider named "${p.name}" is declared twice`)
    names.add(p.name)
    let issuer: URL
    try {
      issuer = new URL(p.issuer)
    } catch {
      return refuse([...path, 'issuer'], 'is not a URL')
    }
    if (issuer.search || issuer.hash) refuse([...path, 'issuer'], 'must have no query or fragment')
    // Plain http only to the same machine, and never in production: tokens would cross the network in clear.
    const httpOk = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname) && !options.production
    if (issuer.protocol !== 'https:' && !httpOk) refuse([...path, 'issuer'], 'must be https (http only for a loopback IdP outside production)')
    const scopes = [...new Set(p.scopes ?? ['openid', 'profile', 'email'])]
    if (!scopes.includes('openid')) refuse([...path, 'scopes'], 'must include "openid"')
    const clientSecret = env[p.clientSecretEnv]
    if (clientSecret === undefined || clientSecret === '') {
      refuse([...path, 'clientSecretEnv'], `the environment variable ${p.clientSecretEnv} is not set`)
    }
    return {
      name: p.name,
      displayName: p.displayName ?? p.name,
      issuer: p.issuer,
      clientId: p.clientId,
      clientSecret: clientSecret!,
      clientSecretEnv: p.clientSecretEnv,
      scopes,
      rolesClaim: p.rolesClaim,
      defaultRoles: [...new Set(p.defaultRoles ?? ['user'])],
      createUsers: p.createUsers ?? false,
      signingAlgs: p.signingAlgs ?? ['RS256', 'PS256', 'ES256', 'EdDSA'],
      line: at(path),
    }
  })
  const localLogin = section.localLogin ?? true
  if (!localLogin && providers.length === 0) refuse(['localLogin'], 'cannot be false without a provider: nobody could log in')
  if (providers.length === 0) {
    // `routes` is the file's list, checked, in the same order.
    const index = routes.findIndex((r) => r.token === 'idp')
    if (index >= 0) refuse(['routes', index, 'token'], '"idp" needs a provider in "providers"')
  }
  return { localLogin, providers }
}

/** Reads the file again (routes-file.ts has checked it is readable JSON) for its identity settings. */
export function loadIdentityConfig(
  file: string,
  env: Record<string, string | undefined>,
  routes: readonly RouteConfig[],
  options: { production: boolean },
): IdentityConfig {
  return parseIdentityConfig(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''), file, env, routes, options)
}
