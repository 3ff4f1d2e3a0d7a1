import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { TokenError } from './errors.js'

/**
 * Encryption at rest under GATEHOUSE_MASTER_KEY. The master key is never used directly: HKDF
 * (SHA-256) derives one 256-bit key per purpose, so the key that encrypts private JWKs and the
 * one that derives refresh tokens are independent. AES-256-GCM authenticates, so a wrong master
 * key (or a tampered row) fails loudly instead of yielding garbage key material.
 *
 * Ciphertext format: `v1.<iv>.<ciphertext+tag>`, both base64url; the caller's `aad` (the key's
 * kid) is bound in, so a ciphertext moved to another row does not decrypt either.
 */
const SALT = Buffer.from('gatehouse/master-key/v1')
const ENCRYPTION_INFO = 'gatehouse signing-key encryption v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export interface MasterKeyCipher {
  encrypt(plaintext: string, aad: string): string
  /** Throws TokenError ERR_MASTER_KEY_MISMATCH when the ciphertext does not authenticate. */
  decrypt(box: string, aad: string): string
  /** An independent 256-bit key for another purpose (HKDF `info`). */
  subkey(purpose: string): Buffer
}

/** AES-256-GCM boxes `<version>.<iv>.<ciphertext+tag>` under one key; `version` names that key. */
export interface AeadBox {
  seal(plaintext: string, aad: string): string
  /** Throws TokenError ERR_KEY_CORRUPT (not a box of this version) or ERR_MASTER_KEY_MISMATCH. */
  open(box: string, aad: string, what: string): string
}

export function createAeadBox(key: Buffer, version: string): AeadBox {
  return {
    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      cipher.setAAD(Buffer.from(aad, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${version}.${iv.toString('base64url')}.${body.toString('base64url')}`
    },
    open(box, aad, what) {
      const [prefix, ivText, bodyText, ...rest] = box.split('.')
      const iv = Buffer.from(ivText ?? '', 'base64url')
      const body = Buffer.from(bodyText ?? '', 'base64url')
      if (prefix !== version || rest.length > 0 || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
        throw new TokenError('ERR_KEY_CORRUPT', `stored ${what} is not a ${version} ciphertext`)
      }
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(aad, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8')
      } catch (cause) {
        throw new TokenError(
          'ERR_MASTER_KEY_MISMATCH',
          `GATEHOUSE_MASTER_KEY does not decrypt the ${what} in the store; start with the master key the store was created with`,
          { cause },
        )
      }
    },
  }
}

export function createMasterKeyCipher(masterKey: string): MasterKeyCipher {
  if (typeof masterKey !== 'string' || masterKey.length === 0) throw new TypeError('GATEHOUSE_MASTER_KEY must be a non-empty string')
  const ikm = Buffer.from(masterKey, 'utf8')
  const subkey = (purpose: string) => Buffer.from(hkdfSync('sha256', ikm, SALT, purpose, 32))
  const box = createAeadBox(subkey(ENCRYPTION_INFO), 'v1')

  return {
    subkey,
    encrypt: (plaintext, aad) => box.seal(plaintext, aad),
    decrypt: (sealed, aad) => {
      const [version, , body, ...rest] = sealed.split('.')
      // Key material is never empty: a box with nothing but a tag is corrupt, not a wrong key.
      if (version !== 'v1' || body === undefined || rest.length > 0 || Buffer.from(body, 'base64url').length <= TAG_BYTES) {
        throw new TokenError('ERR_KEY_CORRUPT', `stored key material for "${aad}" is not a v1 ciphertext`)
      }
      return box.open(sealed, aad, `signing key "${aad}"`)
    },
  }
}
