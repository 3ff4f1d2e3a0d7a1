import { ConfigError } from '../errors.js'
import type { RouteConfig } from './routes-file.js'

const ROLE = /^[a-z][a-z0-9_-]{0,31}$/

/**
 * GATEHOUSE_ROLES=`admin,user,auditor`: the roles users may be given, so a typo in a role is
 * refused instead of silently creating a new one. `admin` must be among them, and so must every
 * role a route rule asks for. Unset: any well-formed role name is accepted.
 */
export function parseKnownRoles(raw: string | undefined, routes: RouteConfig[]): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const roles = [...new Set(raw.split(',').map((r) => r.trim()).filter(Boolean))]
  const bad = roles.find((r) => !ROLE.test(r))
  if (bad !== undefined) throw new ConfigError('GATEHOUSE_ROLES', `"${bad}" is not a valid role name (a-z, 0-9, _ and -)`)
  if (!roles.includes('admin')) throw new ConfigError('GATEHOUSE_ROLES', 'must include "admin" (the admin API and screens need it)')
  for (const rule of routes) {
    const undeclared = (rule.roles ?? []).filter((r) => !roles.includes(r))
    if (undeclared.length > 0) throw new ConfigError('GATEHOUSE_ROLES', `a route rule of "${rule.upstream}" needs the undeclared role ${undeclared.map((r) => `"${r}"`).join(', ')}`)
  }
  return roles
}
