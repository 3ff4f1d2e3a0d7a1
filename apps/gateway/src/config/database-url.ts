import { isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../errors.js'

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

export function parseDatabaseUrl(value: string, cwd: string): DatabaseTarget {
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length)
    if (path.length === 0) throw new ConfigError('DATABASE_URL', 'file: needs a path, e.g. file:./data/gatehouse.db')
    if (path === ':memory:') return { kind: 'sqlite', path }
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) }
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value)
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL')
    }
    return { kind: 'postgres', url: value }
  }
  throw new ConfigError('DATABASE_URL', 'must start with file: (SQLite) or postgres:// (Postgres)')
}
