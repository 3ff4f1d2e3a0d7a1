import { sealData, unsealData } from 'iron-session'
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
  /** The payload, and whether it was sealed with an older secret (then it is re-sealed). */
  open(value: string): Promise<{ payload: CookiePayload; stale: boolean } | null>
  serialize(value: string, maxAgeS: number): string
  clear(): string
}

const MAX_COOKIE_VALUE = 1024

/**
 * The exact shape of a value `sealData` makes: iron's eight `*`-separated fields (prefix, secret
 * id, hex salt, base64url IV, ciphertext, expiry, hex HMAC salt, HMAC-SHA256) and iron-session's
 * `~2`. The HMAC covers every field but its own, so only the MAC's encoding and the suffix could
 * vary without breaking it: the MAC must be 43 base64url characters whose last one leaves the
 * unused bits zero (no `=`, no `+` or `/`, no other padding bits), and the suffix must be `~2` and
 * the end of the value. Anything else is not a value this gateway issued.
 */
const CANONICAL_SEAL =
  /^Fe26\.2\*[0-9]{1,9}\*[0-9a-f]{64}\*[A-Za-z0-9_-]{21}[AQgw]\*[A-Za-z0-9_-]{22,}\*[1-9][0-9]{0,15}\*[0-9a-f]{64}\*[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]~2$/

export function createSessionCookie(options: SessionCookieOptions): SessionCookie {
  const [newest] = options.secrets
  if (newest === undefined) throw new TypeError('at least one cookie secret is required')
  const sealPassword = { [newest.id]: newest.secret }
  const openPasswords = Object.fromEntries(options.secrets.map((s) => [s.id, s.secret]))
  // __Host- pins the cookie to this exact host, path / and https: no subdomain can plant one.
  const name = options.secure ? '__Host-gatehouse' : 'gatehouse'
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`

  return {
    name,
    seal: (payload) => sealData({ sid: payload.sid, cred: payload.cred }, { password: sealPassword, ttl: options.ttlS }),
    async open(value) {
      if (value.length === 0 || value.length > MAX_COOKIE_VALUE || !CANONICAL_SEAL.test(value)) return null
      const data = (await unsealData<Partial<CookiePayload>>(value, { password: openPasswords, ttl: options.ttlS })) as Partial<CookiePayload>
      if (typeof data.sid !== 'string' || typeof data.cred !== 'string') return null
      // iron records the secret's id as the seal's second field.
      const sealedWith = Number(value.split('*')[1])
      return { payload: { sid: data.sid, cred: data.cred }, stale: sealedWith !== newest.id }
    },
    serialize: (value, maxAgeS) => `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; ${attributes}`,
    clear: () => `${name}=; Max-Age=0; ${attributes}`,
  }
}
