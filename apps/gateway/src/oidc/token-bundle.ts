import type { MasterKeyCipher } from '@gatehouse/tokens'

/** The IdP's tokens of one session; never logged, never sent to the browser. */
export interface IdpTokens {
  accessToken: string
  refreshToken: string | undefined
  idToken: string | undefined
}

// Bound to the session: a ciphertext copied to another session's row does not decrypt.
const aad = (sessionId: string) => `idp-tokens:${sessionId}`

export function sealTokens(cipher: MasterKeyCipher, sessionId: string, tokens: IdpTokens): string {
  return cipher.encrypt(JSON.stringify({ a: tokens.accessToken, r: tokens.refreshToken, i: tokens.idToken }), aad(sessionId))
}

export function openTokens(cipher: MasterKeyCipher, sessionId: string, box: string): IdpTokens {
  const raw = JSON.parse(cipher.decrypt(box, aad(sessionId))) as { a: string; r?: string; i?: string }
  return { accessToken: raw.a, refreshToken: raw.r, idToken: raw.i }
}
