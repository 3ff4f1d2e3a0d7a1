/** One spelling per account: NFKC, trimmed, lower-case. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase()
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/
