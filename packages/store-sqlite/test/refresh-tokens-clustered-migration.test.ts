import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { applyMigration, migrationFiles } from './migration-files.js'

describe('the refresh_tokens_clustered migration', () => {
  it('keeps every refresh-token row, clusters the table by (session, generation), and keeps its guarantees', () => {
    const files = migrationFiles()
    const at = files.findIndex((f) => f.endsWith('_refresh_tokens_clustered.sql'))
    expect(at).toBeGreaterThan(0)
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    for (const file of files.slice(0, at)) applyMigration(db, file)
    db.exec(`insert into users (id, username, password_hash, roles, password_changed_at, created_at, updated_at) values ('u', 'alice', 'x', '["user"]', 0, 0, 0)`)
    const session = db.prepare(`insert into sessions (id, user_id, credential_hash, credential_rotated_at, device_name, user_agent, client_ip,
      created_at, last_seen_at, idle_expires_at, absolute_expires_at) values (?, 'u', 'c', 0, 'd', 'ua', '127.0.0.1', 0, 0, 9999999, 9999999)`)
    session.run('s1')
    session.run('s2')
    const token = db.prepare('insert into refresh_tokens (token_hash, session_id, generation, created_at, consumed_at, replaced_by) values (?, ?, ?, ?, ?, ?)')
    token.run('h1-0', 's1', 0, 10, 20, 'h1-1')
    token.run('h1-1', 's1', 1, 20, null, null)
    token.run('h2-0', 's2', 0, 30, null, null)
    const before = db.prepare('select * from refresh_tokens order by session_id, generation').all()

    applyMigration(db, files[at]!)

    expect(db.prepare('select * from refresh_tokens order by session_id, generation').all()).toEqual(before)
    const { sql } = db.prepare(`select sql from sqlite_master where name = 'refresh_tokens'`).get() as { sql: string }
    expect(sql).toMatch(/WITHOUT ROWID/)
    // One token per (session, generation): the primary key.
    expect(() => token.run('other', 's1', 1, 40, null, null)).toThrow(/UNIQUE|PRIMARY KEY/)
    // A token belongs to a session that exists, and goes with it.
    expect(() => token.run('orphan', 'no-such-session', 0, 40, null, null)).toThrow(/FOREIGN KEY/)
    db.prepare(`delete from sessions where id = 's1'`).run()
    expect(db.prepare('select session_id from refresh_tokens').all()).toEqual([{ session_id: 's2' }])
    db.close()
  })
})
