import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 256 random bits, base64url: the secret half of the cookie; only its hash is stored. */
export function newCredential(): string {
  return randomBytes(32).toString('base64url')
}

/** Session ids are public (the device list shows them); 128 random bits. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url')
}

export function hashCredential(credential: string): string {
  return createHash('sha256').update(credential).digest('hex')
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))
}
