import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { applyMigration, migrationFiles } from './migration-files.js'

describe('the rotation_predecessors migration', () => {
  it("turns a live session's one predecessor into the first entry of the list, and leaves the rest empty", () => {
    const files = migrationFiles()
    const at = files.findIndex((f) => f.endsWith('_rotation_predecessors.sql'))
    expect(at).toBeGreaterThan(0)
    const db = new Database(':memory:')
    for (const file of files.slice(0, at)) applyMigration(db, file)
    db.exec(`insert into users (id, username, password_hash, roles, password_changed_at, created_at, updated_at) values ('u', 'alice', 'x', '["user"]', 0, 0, 0)`)
    const insert = db.prepare(`insert into sessions (id, user_id, credential_hash, previous_credential_hash, credential_rotated_at, device_name,
      user_agent, client_ip, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason)
      values (?, 'u', 'cur', ?, 1000, 'd', 'ua', '127.0.0.1', 0, 0, 9999999, 9999999, ?, ?)`)
    insert.run('rotated', 'prev', null, null)
    insert.run('fresh', null, null, null)
    insert.run('ended', 'old', 500, 'logout')
    applyMigration(db, files[at]!)
    const rows = db.prepare('select id, previous_credentials from sessions order by id').all() as { id: string; previous_credentials: string }[]
    expect(Object.fromEntries(rows.map((r) => [r.id, JSON.parse(r.previous_credentials)]))).toEqual({
      ended: [],
      fresh: [],
      rotated: [{ hash: 'prev', rotatedAt: 1000 }],
    })
    db.close()
  })
})
