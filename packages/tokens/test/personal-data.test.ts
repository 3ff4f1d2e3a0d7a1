import { describe, expect, it } from 'vitest'
import { createMasterKeyCipher, createPersonalDataCodec } from '../src/index.js'

const codec = (key = 'master-key-for-tests-0123456789-abcdefgh') => createPersonalDataCodec(createMasterKeyCipher(key))

describe('personal data codec', () => {
  it('seals with a key version and random IV, and opens only with the same AAD and master key', () => {
    const c = codec()
    const a = c.seal('198.51.100.7', 'session.s1.clientIp')
    const b = c.seal('198.51.100.7', 'session.s1.clientIp')
    expect(a).toMatch(/^pii1\.[\w-]{16}\.[\w-]+$/)
    expect(a).not.toBe(b)
    expect(c.isSealed(a)).toBe(true)
    expect(c.isSealed('198.51.100.7')).toBe(false)
    expect(c.open(a, 'session.s1.clientIp')).toBe('198.51.100.7')
    expect(c.seal('', 'x')).not.toBe('')
    expect(c.open(c.seal('', 'x'), 'x')).toBe('')
    expect(() => c.open(a, 'session.s2.clientIp')).toThrow(expect.objectContaining({ code: 'ERR_MASTER_KEY_MISMATCH' }))
    expect(() => codec('another-master-key-0123456789-abcdefghij').open(a, 'session.s1.clientIp')).toThrow(
      expect.objectContaining({ code: 'ERR_MASTER_KEY_MISMATCH' }),
    )
    expect(() => c.open('pii1.AAAA.BBBB', 'x')).toThrow(expect.objectContaining({ code: 'ERR_KEY_CORRUPT' }))
    expect(() => c.open(`v1.${a.slice(5)}`, 'session.s1.clientIp')).toThrow(expect.objectContaining({ code: 'ERR_KEY_CORRUPT' }))
  })

  it('is independent of the signing-key cipher under the same master key', () => {
    const cipher = createMasterKeyCipher('master-key-for-tests-0123456789-abcdefgh')
    const sealed = createPersonalDataCodec(cipher).seal('x', 'aad')
    expect(() => cipher.decrypt(`v1.${sealed.slice(5)}`, 'aad')).toThrow(expect.objectContaining({ code: 'ERR_MASTER_KEY_MISMATCH' }))
  })

  it('keyed hashes: deterministic, per purpose, per master key', () => {
    const c = codec()
    expect(c.keyedHash('client-address', '198.51.100.7')).toBe(c.keyedHash('client-address', '198.51.100.7'))
    expect(c.keyedHash('client-address', '198.51.100.7')).toMatch(/^[0-9a-f]{64}$/)
    expect(c.keyedHash('client-network', '198.51.100.7')).not.toBe(c.keyedHash('client-address', '198.51.100.7'))
    expect(codec('another-master-key-0123456789-abcdefghij').keyedHash('client-address', '198.51.100.7')).not.toBe(
      c.keyedHash('client-address', '198.51.100.7'),
    )
  })
})
