import { StoreError, type LinkedIdentity, type Store } from '@gatehouse/store'
import type { AuditLog } from '../audit.js'
import type { Clock } from '../clock.js'
import type { ProviderConfig } from '../config/providers-file.js'
import { GatewayError } from '../errors.js'
import type { SessionManager } from '../session/session-manager.js'
import type { Actor } from '../users/user-admin.js'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function identityView(i: LinkedIdentity) {
  return { provider: i.provider, issuer: i.issuer, subject: i.subject, createdAt: iso(i.createdAt), lastLoginAt: iso(i.lastLoginAt) }
}

/**
 * A user's accounts at identity providers, for the admin API and the CLI: list them, link one
 * ahead of its first login (for providers with `createUsers: false`), unlink one (its sessions end).
 */
export function createIdentityAdmin(deps: { store: Store; clock: Clock; audit: AuditLog; sessions: Pick<SessionManager, 'revoke'>; providers: readonly ProviderConfig[] }) {
  const { store, clock, audit } = deps
  const providerNamed = (name: string) => {
    const provider = deps.providers.find((p) => p.name === name)
    if (provider === undefined) throw new GatewayError('ERR_NOT_FOUND', { detail: `no identity provider "${name}"` })
    return provider
  }
  const where = (by: Actor) => ({ clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null })

  return {
    list: (userId: string) => store.listIdentities(userId),

    async link(userId: string, providerName: string, subject: string, by: Actor): Promise<LinkedIdentity> {
      const provider = providerNamed(providerName)
      if (subject === '' || subject.length > 255) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'a subject has 1 to 255 characters' })
      const identity: LinkedIdentity = { issuer: provider.issuer, subject, userId, provider: provider.name, createdAt: clock.now(), lastLoginAt: null }
      try {
        await store.linkIdentity(identity)
      } catch (error) {
        if (error instanceof StoreError && error.code === 'ERR_STORE_CONFLICT') throw new GatewayError('ERR_CONFLICT', { detail: 'this identity is linked to a user already' })
        throw error
      }
      await audit('identity.linked', { userId, ...where(by), details: { by: by.actor, provider: provider.name, issuer: provider.issuer, subject } })
      return identity
    },

    /** Unlinks, and ends the sessions that identity started. */
    async unlink(userId: string, providerName: string, subject: string, by: Actor): Promise<void> {
      const linked = (await store.listIdentities(userId)).find((i) => i.provider === providerName && i.subject === subject)
      if (linked === undefined || !(await store.unlinkIdentity(userId, linked.issuer, subject))) {
        throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such linked identity' })
      }
      await audit('identity.unlinked', { userId, ...where(by), details: { by: by.actor, provider: providerName, issuer: linked.issuer, subject } })
      for (const id of await store.findIdpSessionIds({ issuer: linked.issuer, subject }, clock.now())) {
        await deps.sessions.revoke(id, 'admin_revoked', { userId, ...where(by) })
      }
    },
  }
}

export type IdentityAdmin = ReturnType<typeof createIdentityAdmin>
