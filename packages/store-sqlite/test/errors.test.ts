import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StoreError } from '@gatehouse/store'
import { newSession } from '@gatehouse/store/conformance'
import { createSqliteStore } from '../src/index.js'

describe('SQLite store errors', () => {
  it('are StoreErrors that carry neither the SQL nor its values', async () => {
    const store = createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'gh-err-')), 'e.db') })
    const session = newSession('no-such-user', { credentialHash: 'c0ffee'.repeat(10), userAgent: 'secret-agent-value' })
    const error = await store.createSession(session).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    const text = `${(error as Error).message} ${String((error as Error).cause ?? '')} ${JSON.stringify(error)}`
    expect(text).toMatch(/createSession failed \(SQLITE_CONSTRAINT_FOREIGNKEY\)/)
    for (const leaked of ['c0ffee', 'secret-agent-value', 'insert into']) expect(text.toLowerCase()).not.toContain(leaked)
    await store.close()
  })
})
