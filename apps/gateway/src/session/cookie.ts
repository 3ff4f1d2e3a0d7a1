import { hkdfSync } from 'node:crypto'
import Iron from '@hapi/iron'
import { sealData } from 'iron-session'
import type { CookieSecret } from '../config/cookie-secrets.js'

/** What the sealed cookie holds: which session, and the credential that proves it. Nothing else. */
export interface CookiePayload {
  sid: string
  cred: string
}

export interface SessionCookieOptions {
  secrets: CookieSecret[]
  secure: boolean
  /** Seal lifetime; also the cookie's Max-Age ceiling. */
  ttlS: number
}

export interface SessionCookie {
  readonly name: string
  seal(payload: CookiePayload): Promise<string>
  /**
   * The payload, and whether it should be re-sealed: sealed with an older secret, or in the
   * older per-seal-salt form.
   */
  open(value: string): Promise<{ payload: CookiePayload; stale: boolean } | null>
  serialize(value: string, maxAgeS: number): string
  clear(): string
}

const MAX_COOKIE_VALUE = 1024

/**
 * The exact shapes of a value `sealData` makes: iron's eight `*`-separated fields (prefix, secret
 * id, encryption salt, base64url IV, ciphertext, expiry, HMAC salt, HMAC-SHA256) and
 * iron-session's `~2`. The HMAC covers every field but its own, so only the MAC's encoding and
 * the suffix could vary without breaking it: the MAC must be 43 base64url characters whose last
 * one leaves the unused bits zero (no `=`, no `+` or `/`, no other padding bits), and the suffix
 * must be `~2` and the end of the value. Anything else is not a value this gateway issued.
 *
 * Two forms. Keyed (what this gateway seals): both salts empty, the key derived once from the
 * secret. Salted (what it sealed before, and still opens until those cookies are re-sealed): a
 * 64-hex-digit salt in each, the keys derived per seal from the secret by PBKDF2.
 */
const MAC_AND_VERSION = String.raw`\*[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]~2$`
const HEAD = String.raw`^Fe26\.2\*[0-9]{1,9}\*`
const BODY = String.raw`\*[A-Za-z0-9_-]{21}[AQgw]\*[A-Za-z0-9_-]{22,}\*[1-9][0-9]{0,15}\*`
const KEYED_SEAL = new RegExp(`${HEAD}${BODY}${MAC_AND_VERSION}`)
const SALTED_SEAL = new RegExp(`${HEAD}[0-9a-f]{64}${BODY}[0-9a-f]{64}${MAC_AND_VERSION}`)

/**
 * The 256-bit key a cookie secret seals with (HKDF-SHA256; the label keeps it apart from any
 * other use of the same secret). Iron takes such a key in place of a password: it then derives
 * nothing per seal, so opening a cookie is one HMAC and one AES-CBC decryption with node:crypto,
 * synchronous (about 25 µs), where a password seal costs two PBKDF2 derivations first, each a
 * thread-pool job (about 500 µs of CPU through WebCrypto). Iron uses the one key for both the
 * HMAC and the encryption, as it does with any key it is given.
 */
export function cookieSealKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', 'gatehouse session cookie seal key v1', 32))
}

export function createSessionCookie(options: SessionCookieOptions): SessionCookie {
  const [newest] = options.secrets
  if (newest === undefined) throw new TypeError('at least one cookie secret is required')
  const keys = Object.fromEntries(options.secrets.map((s) => [s.id, cookieSealKey(s.secret)]))
  // iron-session types its passwords as strings; iron (iron-webcrypto) takes a key's bytes too.
  const sealPassword = { [newest.id]: keys[newest.id] } as unknown as Record<number, string>
  const passwords = Object.fromEntries(options.secrets.map((s) => [s.id, s.secret]))
  // Opened with @hapi/iron, iron's reference implementation: node:crypto, synchronous with a key
  // (iron-session's iron-webcrypto makes every step a WebCrypto job, a key or not).
  const ironOptions = { ...Iron.defaults, ttl: options.ttlS * 1000 }
  // __Host- pins the cookie to this exact host, path / and https: no subdomain can plant one.
  const name = options.secure ? '__Host-gatehouse' : 'gatehouse'
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`

  return {
    name,
    seal: (payload) => sealData({ sid: payload.sid, cred: payload.cred }, { password: sealPassword, ttl: options.ttlS }),
    async open(value) {
      if (value.length === 0 || value.length > MAX_COOKIE_VALUE) return null
      const keyed = KEYED_SEAL.test(value)
      if (!keyed && !SALTED_SEAL.test(value)) return null
      let data: Partial<CookiePayload> | null
      try {
        data = (await Iron.unseal(value.slice(0, -2), keyed ? keys : passwords, ironOptions)) as Partial<CookiePayload> | null
      } catch {
        // Forged, tampered with, expired, or sealed with a secret no longer configured.
        return null
      }
      if (data === null || typeof data !== 'object' || typeof data.sid !== 'string' || typeof data.cred !== 'string') return null
      // iron records the secret's id as the seal's second field.
      const sealedWith = Number(value.slice(7, value.indexOf('*', 7)))
      return { payload: { sid: data.sid, cred: data.cred }, stale: !keyed || sealedWith !== newest.id }
    },
    serialize: (value, maxAgeS) => `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; ${attributes}`,
    clear: () => `${name}=; Max-Age=0; ${attributes}`,
  }
}
