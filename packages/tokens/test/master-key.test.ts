import { describe, expect, it } from 'vitest'
import { createMasterKeyCipher, TokenError } from '../src/index.js'

const KEY = 'test-master-key-0123456789-abcdefghijklmn'

describe('master-key cipher', () => {
  it('round-trips, in the v1.<iv>.<ct+tag> form, with a fresh IV each time', () => {
    const cipher = createMasterKeyCipher(KEY)
    const a = cipher.encrypt('{"d":"secret"}', 'kid-1')
    const b = cipher.encrypt('{"d":"secret"}', 'kid-1')
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    expect(a).not.toBe(b)
    expect(a).not.toContain('secret')
    expect(cipher.decrypt(a, 'kid-1')).toBe('{"d":"secret"}')
    // The same master key in another process decrypts it too.
    expect(createMasterKeyCipher(KEY).decrypt(b, 'kid-1')).toBe('{"d":"secret"}')
  })

  it('a wrong master key is ERR_MASTER_KEY_MISMATCH naming GATEHOUSE_MASTER_KEY, never garbage', () => {
    const box = createMasterKeyCipher(KEY).encrypt('{"d":"secret"}', 'kid-1')
    let caught: unknown
    try {
      createMasterKeyCipher(`${KEY}x`).decrypt(box, 'kid-1')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(TokenError)
    expect(caught).toMatchObject({ code: 'ERR_MASTER_KEY_MISMATCH' })
    expect((caught as Error).message).toMatch(/GATEHOUSE_MASTER_KEY/)
  })

  it('refuses a ciphertext moved to another kid, or tampered with', () => {
    const cipher = createMasterKeyCipher(KEY)
    const box = cipher.encrypt('{"d":"secret"}', 'kid-1')
    expect(() => cipher.decrypt(box, 'kid-2')).toThrow(expect.objectContaining({ code: 'ERR_MASTER_KEY_MISMATCH' }))
    const [v, iv, body] = box.split('.') as [string, string, string]
    const flipped = Buffer.from(body, 'base64url')
    flipped[0]! ^= 1
    expect(() => cipher.decrypt(`${v}.${iv}.${flipped.toString('base64url')}`, 'kid-1')).toThrow(
      expect.objectContaining({ code: 'ERR_MASTER_KEY_MISMATCH' }),
    )
  })

  it('refuses what is not a v1 ciphertext with ERR_KEY_CORRUPT', () => {
    const cipher = createMasterKeyCipher(KEY)
    for (const bad of ['', 'plain', '{"d":"x"}', 'v2.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA', 'v1.short.AAAA', 'v1.AAAAAAAAAAAAAAAA.AAAA.extra']) {
      expect(() => cipher.decrypt(bad, 'kid'), bad).toThrow(expect.objectContaining({ code: 'ERR_KEY_CORRUPT' }))
    }
  })

  it('derives independent subkeys per purpose, and refuses an empty master key', () => {
    const cipher = createMasterKeyCipher(KEY)
    expect(cipher.subkey('a')).toHaveLength(32)
    expect(cipher.subkey('a').equals(cipher.subkey('a'))).toBe(true)
    expect(cipher.subkey('a').equals(cipher.subkey('b'))).toBe(false)
    expect(cipher.subkey('a').equals(createMasterKeyCipher(`${KEY}x`).subkey('a'))).toBe(false)
    expect(() => createMasterKeyCipher('')).toThrow(TypeError)
  })
})
