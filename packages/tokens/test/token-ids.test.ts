import { describe, expect, it } from 'vitest'
import { createTokenIdSource } from '../src/token-ids.js'

describe('token ids (jti)', () => {
  it('are 16 random bytes in base64url, never repeated across refills of the pool', () => {
    const next = createTokenIdSource()
    // 40 refills of the 256-id pool.
    const ids = Array.from({ length: 10_240 }, () => next())
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(new Set(ids).size).toBe(ids.length)
    // Each id is its own 16 bytes: decoded, they are distinct too (no overlapping slices).
    expect(new Set(ids.map((id) => Buffer.from(id, 'base64url').toString('hex'))).size).toBe(ids.length)
  })

  it('two sources share nothing', () => {
    const a = createTokenIdSource()
    const b = createTokenIdSource()
    const fromA = new Set(Array.from({ length: 512 }, () => a()))
    for (let i = 0; i < 512; i++) expect(fromA.has(b())).toBe(false)
  })
})
