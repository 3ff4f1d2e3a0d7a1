import { PublicProtocol } from 'paseto'
import { SecretKeyFromCryptoKey, SignFactory } from 'paseto/v4/public'
import { describe, expect, it } from 'vitest'
import { verifiedHeader } from '../src/index.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('the verified token\'s header, for the demo\'s "under the hood" view', () => {
  it("a JWT's: its protected header's alg, kid and typ, nothing else", () => {
    const jwt = `${b64({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt', extra: 'x' })}.${b64({ sub: 'u' })}.c2ln`
    expect(verifiedHeader(`Bearer ${jwt}`)).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
  })

  it("a PASETO v4.public's: its version and purpose, and the key id from its footer", async () => {
    const { privateKey } = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
    const v4 = new PublicProtocol(SignFactory)
    const secret = await SecretKeyFromCryptoKey(privateKey)
    const token = await v4.Sign(secret, { sub: 'u' }, { footer: new TextEncoder().encode(JSON.stringify({ kid: 'k2' })), nonExpiring: true })
    expect(token.startsWith('v4.public.')).toBe(true)
    expect(verifiedHeader(`Bearer ${token}`)).toEqual({ alg: 'v4.public', kid: 'k2' })
    const bare = await v4.Sign(secret, { sub: 'u' }, { nonExpiring: true })
    expect(verifiedHeader(`Bearer ${bare}`)).toEqual({ alg: 'v4.public', kid: undefined })
  })

  it('nothing for what is not a bearer token it can read', () => {
    for (const value of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer not-a-token', 'Bearer v4.public.x.%%%']) {
      expect(verifiedHeader(value)).toEqual({})
    }
  })
})
