import { asc, eq, sql } from 'drizzle-orm'
import { StoreError, type Millis, type NewUser, type User, type UserPatch } from '@gatehouse/store'
import type { SqliteDb } from './db.js'
import { sqliteErrorCode } from './sqlite-errors.js'
import { users } from './schema.js'


export function createUserOps(db: SqliteDb) {
  const byId = db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare()
  return {
    async createUser(user: NewUser): Promise<User> {
      const row: User = {
        ...user,
        suspendedAt: null,
        passwordChangedAt: user.createdAt,
        updatedAt: user.createdAt,
      }
      try {
        db.insert(users).values(row).run()
      } catch (cause) {
        if (sqliteErrorCode(cause) === 'SQLITE_CONSTRAINT_UNIQUE') throw new StoreError('ERR_STORE_CONFLICT', 'username is taken')
        throw cause
      }
      return row
    },
    async findUserById(id: string): Promise<User | null> {
      return byId.get({ id }) ?? null
    },
    async findUserByUsername(username: string): Promise<User | null> {
      return db.select().from(users).where(eq(users.username, username)).get() ?? null
    },
    async updateUser(id: string, patch: UserPatch, now: Millis): Promise<User | null> {
      const set: Partial<User> = { updatedAt: now }
      if (patch.passwordHash !== undefined) {
        set.passwordHash = patch.passwordHash
        set.passwordChangedAt = now
      }
      if (patch.roles !== undefined) set.roles = patch.roles
      if (patch.suspendedAt !== undefined) set.suspendedAt = patch.suspendedAt
      return db.update(users).set(set).where(eq(users.id, id)).returning().get() ?? null
    },
    async deleteUser(id: string): Promise<boolean> {
      return db.delete(users).where(eq(users.id, id)).run().changes > 0
    },
    async listUsers(): Promise<User[]> {
      return db.select().from(users).orderBy(asc(users.username)).all()
    },
  }
}

