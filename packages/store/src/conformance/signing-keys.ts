import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import type { Store } from '../store.js'
import type { SigningKeyRecord } from '../types.js'
import { T0 } from './fixtures.js'

export function newSigningKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = randomBytes(16).toString('base64url')
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: randomBytes(32).toString('base64url'), kid, alg: 'EdDSA', use: 'sig' },
    privateKeyEnc: `v1.${randomBytes(12).toString('base64url')}.${randomBytes(64).toString('base64url')}`,
    createdAt: T0,
    retiredAt: null,
    publishUntil: null,
    ...overrides,
  }
}

const kids = (keys: SigningKeyRecord[]) => keys.map((k) => k.kid)

export function signingKeyConformance(store: () => Store): void {
  it('adds the first key once and returns it exactly as given', async () => {
    const s = store()
    const a = newSigningKey()
    expect(await s.addFirstSigningKey(a)).toBe(true)
    expect(await s.addFirstSigningKey(newSigningKey({ createdAt: T0 + 1 }))).toBe(false)
    expect(await s.listPublishedSigningKeys(T0)).toEqual([a])
  })

  it('of many concurrent first keys exactly one is stored', async () => {
    const s = store()
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.addFirstSigningKey(newSigningKey({ createdAt: T0 + i }))))
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await s.listPublishedSigningKeys(T0)).toHaveLength(1)
  })

  it('rotation makes the new key current and keeps the old one published until its time, not after', async () => {
    const s = store()
    const a = newSigningKey()
    const b = newSigningKey({ createdAt: T0 + 10 })
    await s.addFirstSigningKey(a)
    expect(await s.rotateSigningKey(b, { at: T0 + 10, publishUntil: T0 + 100 })).toEqual([a.kid])
    const published = await s.listPublishedSigningKeys(T0 + 99)
    expect(kids(published)).toEqual([b.kid, a.kid])
    expect(published[0]).toEqual(b)
    expect(published[1]).toEqual({ ...a, retiredAt: T0 + 10, publishUntil: T0 + 100 })
    expect(kids(await s.listPublishedSigningKeys(T0 + 100))).toEqual([b.kid])
  })

  it('a later rotation never extends an older key’s window; an emergency one ends them all at once', async () => {
    const s = store()
    const [a, b, c, d] = [0, 10, 20, 30].map((t) => newSigningKey({ createdAt: T0 + t })) as [SigningKeyRecord, SigningKeyRecord, SigningKeyRecord, SigningKeyRecord]
    await s.addFirstSigningKey(a)
    await s.rotateSigningKey(b, { at: T0 + 10, publishUntil: T0 + 100 })
    expect(await s.rotateSigningKey(c, { at: T0 + 20, publishUntil: T0 + 500 })).toEqual([b.kid])
    const before = await s.listPublishedSigningKeys(T0 + 30)
    expect(before.map((k) => [k.kid, k.retiredAt, k.publishUntil])).toEqual([
      [c.kid, null, null],
      [b.kid, T0 + 20, T0 + 500],
      [a.kid, T0 + 10, T0 + 100],
    ])
    expect(await s.rotateSigningKey(d, { at: T0 + 30, publishUntil: T0 + 30 })).toEqual([c.kid])
    expect(await s.listPublishedSigningKeys(T0 + 30)).toEqual([d])
  })

  it('concurrent rotations leave exactly one current key and lose none', async () => {
    const s = store()
    await s.addFirstSigningKey(newSigningKey())
    const retired = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.rotateSigningKey(newSigningKey({ createdAt: T0 + 1 + i }), { at: T0 + 50, publishUntil: T0 + 1000 })),
    )
    const all = await s.listPublishedSigningKeys(T0 + 50)
    expect(all).toHaveLength(21)
    expect(all.filter((k) => k.retiredAt === null)).toHaveLength(1)
    // Each retirement happened exactly once: every key but the last current one, no kid twice.
    const flat = retired.flat()
    expect(new Set(flat).size).toBe(flat.length)
    expect(flat).toHaveLength(20)
  })

  it('deletes keys unpublished before a time, never the current one', async () => {
    const s = store()
    const a = newSigningKey()
    const b = newSigningKey({ createdAt: T0 + 1 })
    const c = newSigningKey({ createdAt: T0 + 2 })
    await s.addFirstSigningKey(a)
    await s.rotateSigningKey(b, { at: T0 + 1, publishUntil: T0 + 10 })
    await s.rotateSigningKey(c, { at: T0 + 2, publishUntil: T0 + 1000 })
    expect(await s.deleteUnpublishedSigningKeys(T0 + 500)).toBe(1)
    expect(kids(await s.listPublishedSigningKeys(T0))).toEqual([c.kid, b.kid])
    expect(await s.deleteUnpublishedSigningKeys(T0 + 10_000)).toBe(1)
    expect(await s.listPublishedSigningKeys(T0 + 10_000)).toEqual([c])
  })
}
