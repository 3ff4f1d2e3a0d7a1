/**
 * The value of one cookie in a Cookie header, or undefined. Only the one name is looked for: a
 * general parser (every pair split, every value URI-decoded) showed in the hot path's profile.
 * Sealed values are base64url with `*` and `~`, so no decoding is needed; a value with a `%`
 * is returned as sent and simply fails to open.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let from = 0
  for (;;) {
    const at: number = header.indexOf(name, from)
    if (at === -1) return undefined
    const before = at === 0 ? ';' : header[at - 1]
    const after = at + name.length
    if ((before === ';' || before === ' ') && header[after] === '=') {
      const end = header.indexOf(';', after + 1)
      const value = header.slice(after + 1, end === -1 ? undefined : end).trim()
      return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value
    }
    from = at + 1
  }
}
