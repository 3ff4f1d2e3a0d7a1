import { createPasswordHasher, type PasswordHasher } from '../src/auth/passwords.js'

/** The real argon2 hasher, counting every password check (real or dummy) it makes. */
export function countingHasher(): PasswordHasher & { checks: () => number } {
  const real = createPasswordHasher()
  let checks = 0
  return {
    hash: (password) => real.hash(password),
    verify(storedHash, password) {
      checks++
      return real.verify(storedHash, password)
    },
    verifyDummy(password) {
      checks++
      return real.verifyDummy(password)
    },
    checks: () => checks,
  }
}
