import { describe, expect, it } from 'vitest'
import type { SigningKeyRecord } from '@gatehouse/store'
import { signingRecord } from '../src/key-manager.js'

const key = (kid: string, createdAt: number): SigningKeyRecord => ({
  kid,
  alg: 'EdDSA',
  publicJwk: {},
  privateKeyEnc: '',
  createdAt,
  retiredAt: null,
  publishUntil: null,
})
const DELAY = 40_000

describe('which published key signs', () => {
  it('the first key signs at once', () => {
    expect(signingRecord([key('a', 1000)], 1000, DELAY)?.kid).toBe('a')
  })
  it('after a normal rotation the old key signs until the new one has been published for the delay', () => {
    const keys = [key('new', 100_000), key('old', 1000)]
    expect(signingRecord(keys, 100_000, DELAY)?.kid).toBe('old')
    expect(signingRecord(keys, 139_999, DELAY)?.kid).toBe('old')
    expect(signingRecord(keys, 140_000, DELAY)?.kid).toBe('new')
  })
  it('a rotation right after another keeps the oldest published key signing', () => {
    const keys = [key('c', 20_000), key('b', 10_000), key('a', 0)]
    expect(signingRecord(keys, 20_000, DELAY)?.kid).toBe('a')
    expect(signingRecord(keys, 50_000, DELAY)?.kid).toBe('b')
    expect(signingRecord(keys, 60_000, DELAY)?.kid).toBe('c')
  })
  it('after an emergency rotation (older keys unpublished) the new key signs at once', () => {
    expect(signingRecord([key('new', 100_000)], 100_000, DELAY)?.kid).toBe('new')
  })
  it('no published key: none', () => {
    expect(signingRecord([], 0, DELAY)).toBeUndefined()
  })
})
