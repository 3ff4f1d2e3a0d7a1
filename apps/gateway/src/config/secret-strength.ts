import { ConfigError } from '../errors.js'

export const MIN_SECRET_LENGTH = 32

/** Long enough, and not a run of a few repeated characters ("aaaa…", "abababab…"). */
export function assertStrongSecret(variable: string, secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(variable, `must be at least ${MIN_SECRET_LENGTH} characters (got ${secret.length})`)
  }
  if (new Set(secret).size < 8) {
    throw new ConfigError(variable, 'is too weak: it uses fewer than 8 distinct characters')
  }
}
