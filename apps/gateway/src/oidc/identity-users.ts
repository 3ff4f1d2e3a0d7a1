import { createHash, randomUUID } from 'node:crypto'
import { StoreError, type Store, type User } from '@gatehouse/store'
import type { AuditLog, AuditOrigin } from '../audit.js'
import { normalizeUsername, USERNAME_PATTERN } from '../auth/usernames.js'
import type { Clock } from '../clock.js'
import type { ProviderConfig } from '../config/providers-file.js'
import type { UserAdmin } from '../users/user-admin.js'

const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/
/** Not an argon2 hash: no password ever verifies against it, so an IdP user has no password login. */
export const NO_PASSWORD = '!idp-only'

export type IdentityResult = { ok: true; user: User } | { ok: false; reason: 'not_linked' | 'suspended' | 'user_missing' }

/** Roles named by the claim (an array, or a space-separated string), else the provider's defaults. */
export function rolesFrom(settings: ProviderConfig, claims: Record<string, unknown>): string[] {
  const raw = settings.rolesClaim === undefined ? undefined : claims[settings.rolesClaim]
  const named = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : undefined
  if (named === undefined) return [...settings.defaultRoles].sort()
  const roles = named.filter((r): r is string => typeof r === 'string' && ROLE_PATTERN.test(r))
  return [...new Set([...settings.defaultRoles, ...roles])].sort()
}

/** A local username for a new IdP user; never one that exists (an IdP user is never merged into a local one). */
function usernameCandidates(settings: ProviderConfig, issuer: string, claims: Record<string, unknown>): string[] {
  const wanted = [claims.preferred_username, claims.email].filter((v): v is string => typeof v === 'string').map(normalizeUsername)
  const stable = `${settings.name}-${createHash('sha256').update(`${issuer}\n${String(claims.sub)}`).digest('hex').slice(0, 16)}`
  return [...wanted.filter((u) => USERNAME_PATTERN.test(u)), stable]
}

export function createIdentityUsers(deps: { store: Store; clock: Clock; audit: AuditLog; users: UserAdmin }) {
  const { store, clock, audit, users } = deps
  return {
    /** The local user of (issuer, sub): linked before, or created now when the provider allows it. */
    async resolve(settings: ProviderConfig, issuer: string, claims: Record<string, unknown>, origin: AuditOrigin): Promise<IdentityResult> {
      const subject = String(claims.sub)
      const roles = rolesFrom(settings, claims)
      const linked = await store.findIdentity(issuer, subject)
      if (linked !== null) {
        let user = await store.findUserById(linked.userId)
        if (user === null) return { ok: false, reason: 'user_missing' }
        if (user.suspendedAt !== null) return { ok: false, reason: 'suspended' }
        // The IdP is the source of roles when a claim names them.
        if (settings.rolesClaim !== undefined && roles.join(' ') !== [...user.roles].sort().join(' ')) {
          user = await users.setRoles(user.id, roles, { actor: `idp:${settings.name}`, ...origin })
        }
        await store.touchIdentity(issuer, subject, clock.now())
        return { ok: true, user }
      }
      if (!settings.createUsers) return { ok: false, reason: 'not_linked' }
      for (const username of usernameCandidates(settings, issuer, claims)) {
        if ((await store.findUserByUsername(username)) !== null) continue
        let user: User
        try {
          user = await store.createUser({ id: randomUUID(), username, passwordHash: NO_PASSWORD, roles, createdAt: clock.now() })
        } catch (error) {
          if (error instanceof StoreError && error.code === 'ERR_STORE_CONFLICT') continue
          throw error
        }
        await audit('user.created', { userId: user.id, ...origin, details: { by: `idp:${settings.name}`, roles } })
        try {
          await store.linkIdentity({ issuer, subject, userId: user.id, provider: settings.name, createdAt: clock.now(), lastLoginAt: clock.now() })
        } catch (error) {
          // Two first logins of the same identity at once: the other one linked it; use that user.
          await store.deleteUser(user.id)
          if (error instanceof StoreError && error.code === 'ERR_STORE_CONFLICT') return this.resolve(settings, issuer, claims, origin)
          throw error
        }
        await audit('identity.linked', { userId: user.id, ...origin, details: { provider: settings.name, issuer, subject } })
        return { ok: true, user }
      }
      return { ok: false, reason: 'not_linked' }
    },
  }
}

export type IdentityUsers = ReturnType<typeof createIdentityUsers>
