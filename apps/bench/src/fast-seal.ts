import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'
import type { CookieSecret } from '../../gateway/src/config/cookie-secrets.js'

/**
 * The seal iron-session's sealData() makes (iron "Fe26.2": AES-256-CBC, then HMAC-SHA256, each key
 * from PBKDF2-SHA1, one iteration, over a fresh 256-bit salt; "~2" is iron-session's version
 * mark), with node:crypto's synchronous calls. Sealing through webcrypto costs several async
 * round trips per cookie, which is minutes for 100,000 of them; this is a few seconds. The bench
 * checks its output with the gateway's own cookie.open() before using it (seed.ts).
 */
export function ironSeal(data: unknown, secret: CookieSecret, ttlS: number): string {
  const key = (salt: string) => pbkdf2Sync(secret.secret, salt, 1, 32, 'sha1')
  const encryptionSalt = randomBytes(32).toString('hex')
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-256-cbc', key(encryptionSalt), iv)
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()])
  const base = `Fe26.2*${secret.id}*${encryptionSalt}*${iv.toString('base64url')}*${encrypted.toString('base64url')}*${Date.now() + ttlS * 1000}`
  const macSalt = randomBytes(32).toString('hex')
  const mac = createHmac('sha256', key(macSalt)).update(base).digest('base64url')
  return `${base}*${macSalt}*${mac}~2`
}
