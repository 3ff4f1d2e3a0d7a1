import { createHmac } from 'node:crypto'
import { createAeadBox, type MasterKeyCipher } from './master-key.js'

/**
 * Personal identifiers at rest (client addresses, user agents, device names): AES-256-GCM under
 * a key HKDF derives from GATEHOUSE_MASTER_KEY for this purpose alone. The box's prefix is the
 * key version (`pii1`), so a later master-key rotation can tell old boxes from new ones.
 *
 * Where only equality matters (rate-limit buckets, the anomaly check) a keyed hash stands in:
 * HMAC-SHA-256 under another derived key, so a stolen table cannot be brute-forced back to
 * addresses (2^32 of them) without the master key.
 */
export const PERSONAL_DATA_KEY_VERSION = 'pii1'
const ENCRYPTION_INFO = 'gatehouse personal-data encryption v1'
const HASH_INFO = 'gatehouse personal-data keyed hash v1'

export interface PersonalDataCodec {
  /** Ciphertext bound to `aad` (say, `session.<id>.clientIp`): moved elsewhere it does not open. */
  seal(value: string, aad: string): string
  /** Throws TokenError ERR_MASTER_KEY_MISMATCH or ERR_KEY_CORRUPT. */
  open(sealed: string, aad: string): string
  /** Whether a stored value is one of our ciphertexts (and not clear text from before). */
  isSealed(value: string): boolean
  /** HMAC-SHA-256 (hex) of `value` for one `purpose`; equal inputs, equal outputs. */
  keyedHash(purpose: string, value: string): string
}

export function createPersonalDataCodec(cipher: MasterKeyCipher): PersonalDataCodec {
  const box = createAeadBox(cipher.subkey(ENCRYPTION_INFO), PERSONAL_DATA_KEY_VERSION)
  const hashKey = cipher.subkey(HASH_INFO)
  const prefix = `${PERSONAL_DATA_KEY_VERSION}.`
  return {
    seal: (value, aad) => box.seal(value, aad),
    open: (sealed, aad) => box.open(sealed, aad, `personal data (${aad})`),
    isSealed: (value) => value.startsWith(prefix),
    keyedHash: (purpose, value) => createHmac('sha256', hashKey).update(purpose).update('\n').update(value).digest('hex'),
  }
}
