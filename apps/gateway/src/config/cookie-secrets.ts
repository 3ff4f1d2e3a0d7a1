import { ConfigError } from '../errors.js'
import { assertStrongSecret } from './secret-strength.js'

export interface CookieSecret {
  /** A whole number; iron-session records it in each seal to pick the secret that opens it. */
  id: number
  secret: string
}

/**
 * `secret` alone, or `id:secret,id:secret` newest first. The first entry seals new cookies; the
 * others still open cookies sealed with them, until removed (which logs those cookies out).
 */
export function parseCookieSecrets(value: string, variable = 'GATEHOUSE_COOKIE_SECRET'): CookieSecret[] {
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)
  if (parts.length === 0) throw new ConfigError(variable, 'is empty')
  if (parts.length === 1 && !/^\d+:/.test(parts[0]!)) {
    assertStrongSecret(variable, parts[0]!)
    return [{ id: 1, secret: parts[0]! }]
  }
  const seen = new Set<number>()
  return parts.map((part, index) => {
    const colon = part.indexOf(':')
    const idText = colon === -1 ? '' : part.slice(0, colon)
    if (!/^\d{1,9}$/.test(idText)) {
      throw new ConfigError(variable, `entry ${index + 1} must be "id:secret" with a whole-number id (e.g. "2:…,1:…")`)
    }
    const id = Number(idText)
    if (seen.has(id)) throw new ConfigError(variable, `id ${id} appears twice`)
    seen.add(id)
    const secret = part.slice(colon + 1)
    assertStrongSecret(`${variable} (id ${id})`, secret)
    return { id, secret }
  })
}
