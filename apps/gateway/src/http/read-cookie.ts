/**
 * The value of one cookie in a Cookie header, or undefined. The header is read as the
 * `name=value` pairs RFC 6265 §4.2.1 makes of it (separated by `;`), so the name is only ever
 * matched at the start of a pair: `theme=dark gatehouse=x` and `theme=dark, gatehouse=x` are one
 * cookie named `theme`, never a session cookie. With several pairs of the name, the first wins
 * (the browser sends the most specific first).
 *
 * Only the one name is looked for, by index, without splitting the header into strings (an
 * occurrence counts only at the start of a pair): a general parser (every pair split, every
 * value URI-decoded) showed in the hot path's profile.
 * Sealed values are base64url with `*` and `~`, so no decoding is needed; a value with a `%` is
 * returned as sent and simply fails to open.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let from = 0
  for (;;) {
    const at: number = header.indexOf(name, from)
    if (at === -1) return undefined
    const after = at + name.length
    if (header[after] === '=') {
      // A pair starts after a `;` (or the header's start) and optional white space; values
      // never hold a `;`, so that is the whole test.
      let before = at - 1
      while (before >= 0 && (header[before] === ' ' || header[before] === '\t')) before--
      if (before < 0 || header[before] === ';') {
        const end = header.indexOf(';', after + 1)
        const value = header.slice(after + 1, end === -1 ? undefined : end).trim()
        return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
      }
    }
    from = at + 1
  }
}
