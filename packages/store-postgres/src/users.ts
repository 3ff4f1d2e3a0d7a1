import { eq, sql } from 'drizzle-orm'
import { StoreError, type Millis, type NewUser, type User, type UserPatch } from '@gatehouse/store'
import type { PgDb } from './db.js'
import { isUniqueViolation } from './pg-errors.js'
import { users } from './schema.js'

export function createUserOps(db: PgDb) {
  return {
    async createUser(user: NewUser): Promise<User> {
      const row: User = { ...user, suspendedAt: null, passwordChangedAt: user.createdAt, updatedAt: user.createdAt }
      try {
        await db.insert(users).values(row)
      } catch (cause) {
        // The unique index decides between racing creators; the loser gets a clean conflict.
        if (isUniqueViolation(cause)) throw new StoreError('ERR_STORE_CONFLICT', 'username is taken')
        throw cause
      }
      return row
    },
    async findUserById(id: string): Promise<User | null> {
      const [row] = await db.select().from(users).where(eq(users.id, id))
      return row ?? null
    },
    async findUserByUsername(username: string): Promise<User | null> {
      const [row] = await db.select().from(users).where(eq(users.username, username))
      return row ?? null
    },
    async updateUser(id: string, patch: UserPatch, now: Millis): Promise<User | null> {
      const set: Partial<User> = { updatedAt: now }
      if (patch.passwordHash !== undefined) {
        set.passwordHash = patch.passwordHash
        set.passwordChangedAt = now
      }
      if (patch.roles !== undefined) set.roles = patch.roles
      if (patch.suspendedAt !== undefined) set.suspendedAt = patch.suspendedAt
      const [row] = await db.update(users).set(set).where(eq(users.id, id)).returning()
      return row ?? null
    },
    async deleteUser(id: string): Promise<boolean> {
      return ((await db.delete(users).where(eq(users.id, id))).rowCount ?? 0) > 0
    },
    async listUsers(): Promise<User[]> {
      // Byte order, as SQLite sorts, whatever collation the database was created with.
      return db.select().from(users).orderBy(sql`${users.username} collate "C"`)
    },
  }
}
