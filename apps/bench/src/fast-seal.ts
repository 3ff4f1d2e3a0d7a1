import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import type { CookieSecret } from '../../gateway/src/config/cookie-secrets.js'
import { cookieSealKey } from '../../gateway/src/session/cookie.js'

/**
 * The seal the gateway's cookie.seal() makes (iron "Fe26.2" with a key: AES-256-CBC, then
 * HMAC-SHA256, both with the secret's seal key, both salts empty; "~2" is iron-session's version
 * mark), with node:crypto's synchronous calls. Sealing through webcrypto costs several async
 * round trips per cookie, which is minutes for 100,000 of them; this is a few seconds. The bench
 * checks its output with the gateway's own cookie.open() before using it (seed.ts).
 */
export function ironSeal(data: unknown, secret: CookieSecret, ttlS: number): string {
  const key = cookieSealKey(secret.secret)
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-256-cbc', key, iv)
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()])
  const base = `Fe26.2*${secret.id}**${iv.toString('base64url')}*${encrypted.toString('base64url')}*${Date.now() + ttlS * 1000}`
  const mac = createHmac('sha256', key).update(base).digest('base64url')
  return `${base}**${mac}~2`
}
