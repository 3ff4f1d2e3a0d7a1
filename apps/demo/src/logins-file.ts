import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SeededUser } from './seed.js'

export const LOGINS_FILE = 'demo-logins.txt'

/** `username password` lines of an earlier run; a missing or unreadable file is no logins. */
function readLogins(path: string): Map<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return new Map()
  }
  const logins = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)$/.exec(line.trim())
    if (m && !line.startsWith('#')) logins.set(m[1]!, m[2]!)
  }
  return logins
}

export interface DemoLogin {
  username: string
  roles: string[]
  /** As seeded; undefined when this data directory's user was created some other way. */
  password: string | undefined
}

/**
 * Keeps the demo's seeded passwords in `<dataDir>/demo-logins.txt`, readable by this user only
 * (0600), so they can be found again after they scrolled away. Passwords of users that already
 * existed come from the file; a user changed since still logs in with its new password.
 */
export function keepLogins(dataDir: string, seeded: SeededUser[]): { path: string; logins: DemoLogin[] } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, LOGINS_FILE)
  const known = readLogins(path)
  for (const user of seeded) if (user.password !== undefined) known.set(user.username, user.password)
  const lines = ['# The demo logins, as seeded by `pnpm demo` (passwords changed since are not updated here).']
  for (const [username, password] of known) lines.push(`${username} ${password}`)
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 })
  chmodSync(path, 0o600) // an existing file keeps its old mode through writeFileSync
  return { path, logins: seeded.map((u) => ({ username: u.username, roles: u.roles, password: known.get(u.username) })) }
}
