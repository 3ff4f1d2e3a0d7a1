import { hash, verify, type Options } from '@node-rs/argon2'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. (2 is Algorithm.Argon2id, a const enum
// that verbatimModuleSyntax cannot import.)
const PARAMS: Options = { algorithm: 2 as Options['algorithm'], memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const MAX_PASSWORD_LENGTH = 1024
export const MIN_PASSWORD_LENGTH = 8

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /** Never throws on a malformed stored hash: that is simply not a match. */
  verify(storedHash: string, password: string): Promise<boolean>
  /**
   * Spends the same time as a real verification against nothing, so that an unknown username
   * answers like a wrong password.
   */
  verifyDummy(password: string): Promise<false>
}

export function createPasswordHasher(): PasswordHasher {
  let dummy: Promise<string> | undefined
  const safeVerify = async (storedHash: string, password: string) => {
    try {
      return await verify(storedHash, password)
    } catch {
      return false
    }
  }
  return {
    hash: (password) => hash(password, PARAMS),
    verify: safeVerify,
    async verifyDummy(password) {
      dummy ??= hash('gatehouse-dummy-password', PARAMS)
      await safeVerify(await dummy, password)
      return false
    },
  }
}
