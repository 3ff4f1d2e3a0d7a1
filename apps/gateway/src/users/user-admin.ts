import { randomUUID } from 'node:crypto'
import { StoreError, type Store, type User } from '@gatehouse/store'
import type { AuditLog, AuditOrigin } from '../audit.js'
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordHasher } from '../auth/passwords.js'
import { isCommonPassword } from '../auth/common-passwords.js'
import { normalizeUsername, USERNAME_PATTERN } from '../auth/usernames.js'
import type { Clock } from '../clock.js'
import { GatewayError } from '../errors.js'
import type { SessionManager } from '../session/session-manager.js'

const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/

export interface UserAdminDeps {
  store: Store
  clock: Clock
  hasher: PasswordHasher
  audit: AuditLog
  sessions: Pick<SessionManager, 'revokeAllOfUser'>
  /** GATEHOUSE_ROLES: when set, the only roles a user may be given. */
  knownRoles?: readonly string[] | undefined
}

/** Who did it: an admin user id, or the CLI. */
export type Actor = AuditOrigin & { actor: string }

/** Length, then NIST 800-63B's blocklist: common passwords and the account's own name. */
export function checkPassword(password: string, username?: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new GatewayError('ERR_BAD_REQUEST', { detail: `a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  }
  if (isCommonPassword(password, username === undefined ? [] : [username])) {
    throw new GatewayError('ERR_BAD_REQUEST', { detail: 'that password is too common or too easy to guess; choose another' })
  }
}

/** Valid names, and when the roles are declared (GATEHOUSE_ROLES), only declared ones: a typo is refused, not a new role. */
export function checkRoles(roles: string[], known?: readonly string[]): string[] {
  const bad = roles.find((r) => !ROLE_PATTERN.test(r))
  if (bad !== undefined) throw new GatewayError('ERR_BAD_REQUEST', { detail: `"${bad}" is not a valid role name (a-z, 0-9, _ and -)` })
  const unknown = known === undefined ? [] : roles.filter((r) => !known.includes(r))
  if (unknown.length > 0) {
    throw new GatewayError('ERR_BAD_REQUEST', {
      detail: `unknown role ${unknown.map((r) => `"${r}"`).join(', ')}; the known roles are ${known!.join(', ')} (GATEHOUSE_ROLES)`,
    })
  }
  return [...new Set(roles)].sort()
}

/** An administrator who can log in: has the role and is not suspended. */
const activeAdmin = (u: User) => u.roles.includes('admin') && u.suspendedAt === null

/**
 * The account operations shared by the CLI and the admin API, each with the revocations and
 * audit events it owes: a new password, new roles or a suspension end the user's sessions.
 */
export function createUserAdmin({ store, clock, hasher, audit, sessions, knownRoles }: UserAdminDeps) {
  async function mustFind(userId: string): Promise<User> {
    const user = await store.findUserById(userId)
    if (user === null) throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such user' })
    return user
  }

  /** Refuses a change that would leave no active administrator: nobody could undo it. */
  async function keepAnAdmin(user: User, what: string): Promise<void> {
    if (!activeAdmin(user)) return
    const others = (await store.listUsers()).filter((u) => u.id !== user.id && activeAdmin(u))
    if (others.length === 0) {
      throw new GatewayError('ERR_CONFLICT', { detail: `${user.username} is the last administrator; ${what} would leave nobody able to administer. Make another admin first.` })
    }
  }

  return {
    /** The declared roles (GATEHOUSE_ROLES), or null when any well-formed name is accepted. */
    knownRoles: knownRoles === undefined ? null : [...knownRoles],

    async findByUsername(username: string): Promise<User> {
      const user = await store.findUserByUsername(normalizeUsername(username))
      if (user === null) throw new GatewayError('ERR_NOT_FOUND', { detail: `no user "${username}"` })
      return user
    },

    async create(input: { username: string; password: string; roles: string[] }, by: Actor): Promise<User> {
      const username = normalizeUsername(input.username)
      if (!USERNAME_PATTERN.test(username)) {
        throw new GatewayError('ERR_BAD_REQUEST', { detail: 'a username is 1-64 of a-z, 0-9, . _ @ - and starts with a letter or digit' })
      }
      checkPassword(input.password, username)
      const roles = checkRoles(input.roles, knownRoles)
      try {
        const user = await store.createUser({ id: randomUUID(), username, passwordHash: await hasher.hash(input.password), roles, createdAt: clock.now() })
        await audit('user.created', { userId: user.id, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor, roles } })
        return user
      } catch (error) {
        if (error instanceof StoreError && error.code === 'ERR_STORE_CONFLICT') {
          throw new GatewayError('ERR_CONFLICT', { detail: `the username "${username}" is taken` })
        }
        throw error
      }
    },

    /** Revokes every other session (`keepSessionId`), or all of them when none is kept. */
    async setPassword(userId: string, password: string, by: Actor & { keepSessionId?: string }): Promise<void> {
      const user = await mustFind(userId)
      checkPassword(password, user.username)
      if (await hasher.verify(user.passwordHash, password)) {
        throw new GatewayError('ERR_BAD_REQUEST', { detail: 'the new password is the current one; choose another' })
      }
      await store.updateUser(userId, { passwordHash: await hasher.hash(password) }, clock.now())
      await audit('user.password_changed', { userId, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor } })
      await sessions.revokeAllOfUser(userId, 'password_changed', {
        clientIp: by.clientIp ?? null,
        userAgent: by.userAgent ?? null,
        ...(by.keepSessionId === undefined ? {} : { exceptSessionId: by.keepSessionId }),
      })
    },

    async setRoles(userId: string, roles: string[], by: Actor): Promise<User> {
      const before = await mustFind(userId)
      const next = checkRoles(roles, knownRoles)
      if (!next.includes('admin')) await keepAnAdmin(before, 'removing the admin role')
      const user = (await store.updateUser(userId, { roles: next }, clock.now()))!
      await audit('user.roles_changed', { userId, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor, from: before.roles, to: next } })
      await sessions.revokeAllOfUser(userId, 'roles_changed', { clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null })
      return user
    },

    async suspend(userId: string, by: Actor): Promise<User> {
      await keepAnAdmin(await mustFind(userId), 'suspending them')
      const user = (await store.updateUser(userId, { suspendedAt: clock.now() }, clock.now()))!
      await audit('user.suspended', { userId, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor } })
      await sessions.revokeAllOfUser(userId, 'suspended', { clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null })
      return user
    },

    /** Ends every session (reason 'user_deleted', audited), then deletes the account. */
    async delete(userId: string, by: Actor): Promise<void> {
      const user = await mustFind(userId)
      await keepAnAdmin(user, 'deleting them')
      await sessions.revokeAllOfUser(userId, 'user_deleted', { clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null })
      await store.deleteUser(userId)
      await audit('user.deleted', { userId, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor, username: user.username } })
    },

    async unsuspend(userId: string, by: Actor): Promise<User> {
      await mustFind(userId)
      const user = (await store.updateUser(userId, { suspendedAt: null }, clock.now()))!
      await audit('user.unsuspended', { userId, clientIp: by.clientIp ?? null, userAgent: by.userAgent ?? null, details: { by: by.actor } })
      return user
    },
  }
}

export type UserAdmin = ReturnType<typeof createUserAdmin>
