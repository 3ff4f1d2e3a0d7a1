import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMasterKeyCipher, createTokenCache, publicJwk } from '../src/index.js'
import { generateSigningKey, importSigningKey } from '../src/key-material.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

describe('key material', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
    it(`${alg}: the record's public JWK has no private member, and the stored key imports back`, async () => {
      const cipher = createMasterKeyCipher('test-master-key-0123456789-abcdefghijklmn')
      const { record } = await generateSigningKey(alg, cipher, 1000)
      expect(record).toMatchObject({ alg, createdAt: 1000, retiredAt: null, publishUntil: null, kid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) })
      for (const m of PRIVATE_MEMBERS) expect(record.publicJwk).not.toHaveProperty(m)
      await expect(importSigningKey(record, cipher)).resolves.toMatchObject({ kid: record.kid, alg, createdAt: 1000 })
    })
  }

  for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
    it(`${alg}: a generated key and the same key imported back both sign JWTs that verify with the record's public JWK`, async () => {
      const cipher = createMasterKeyCipher('test-master-key-0123456789-abcdefghijklmn')
      const { record, key } = await generateSigningKey(alg, cipher, 1000)
      const imported = await importSigningKey(record, cipher)
      const publicKey = await importJWK(publicJwk(record), alg)
      const claims = { iss: 'i', aud: 'a', sub: 's', sid: 'x', roles: ['r'], client_id: 'gatehouse', jti: 'j', iat: 1_800_000_000, exp: 1_800_000_300 }
      for (const signer of [key, imported]) {
        const token = signer.signJwt(claims)
        expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: record.kid })
        const { payload } = await jwtVerify(token, publicKey, { typ: 'at+jwt', algorithms: [alg], currentDate: new Date(1_800_000_000_000) })
        expect(payload).toEqual(claims)
      }
    })
  }

  it('publicJwk keeps public members only, whatever a record holds', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const full = (await exportJWK(privateKey)) as Record<string, unknown>
    const jwk = publicJwk({ kid: 'k1', alg: 'RS256', publicJwk: full })
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
    expect(() => publicJwk({ kid: 'k2', alg: 'HS256', publicJwk: { kty: 'oct', k: 'secret' } })).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_CORRUPT' }),
    )
  })
})

describe('token cache', () => {
  const entry = (token: string) => ({ token, kid: 'k', userId: 'u', rolesKey: '', issuedAt: 0, expiresAt: 1, renewAt: 1 })

  it('is bounded: past maxSessions the session cached longest ago makes room', () => {
    const cache = createTokenCache(2)
    cache.set('s1', 'orders', entry('a'))
    cache.set('s1', 'profile', entry('b'))
    cache.set('s2', 'orders', entry('c'))
    cache.set('s3', 'orders', entry('d'))
    expect(cache.size).toBe(2)
    expect(cache.get('s1', 'orders')).toBeUndefined()
    expect(cache.get('s3', 'orders')?.token).toBe('d')
  })

  it('forgets every audience of the given sessions', () => {
    const cache = createTokenCache(10)
    cache.set('s1', 'orders', entry('a'))
    cache.set('s1', 'profile', entry('b'))
    cache.set('s2', 'orders', entry('c'))
    cache.forget(['s1'])
    expect(cache.get('s1', 'orders')).toBeUndefined()
    expect(cache.get('s1', 'profile')).toBeUndefined()
    expect(cache.get('s2', 'orders')?.token).toBe('c')
  })
})
