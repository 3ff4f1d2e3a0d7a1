import { randomBytes } from 'node:crypto'
import type { Store } from '@gatehouse/store'
import type { UserAdmin } from '../../gateway/src/users/user-admin.js'

export interface SeededUser {
  username: string
  roles: string[]
  /** Only when created by this run; an existing user's password is never known again. */
  password?: string
}

export const DEMO_USERS = [
  { username: 'admin', roles: ['admin', 'user'] },
  { username: 'alice', roles: ['user'] },
] as const

/** Creates the demo users that are missing, each with a fresh random password. */
export async function seedDemoUsers(store: Store, users: UserAdmin): Promise<SeededUser[]> {
  const seeded: SeededUser[] = []
  for (const { username, roles } of DEMO_USERS) {
    if (await store.findUserByUsername(username)) {
      seeded.push({ username, roles: [...roles] })
      continue
    }
    const password = randomBytes(9).toString('base64url')
    await users.create({ username, password, roles: [...roles] }, { actor: 'demo-seed' })
    seeded.push({ username, roles: [...roles], password })
  }
  return seeded
}
