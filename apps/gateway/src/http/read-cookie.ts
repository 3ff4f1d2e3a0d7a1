/**
 * The value of one cookie in a Cookie header, or undefined. The header is read as the
 * `name=value` pairs RFC 6265 §4.2.1 makes of it (separated by `;`), so the name is only ever
 * matched at the start of a pair: `theme=dark gatehouse=x` and `theme=dark, gatehouse=x` are one
 * cookie named `theme`, never a session cookie. With several pairs of the name, the first wins
 * (the browser sends the most specific first).
 *
 * Only the one name is looked for, by index, without splitting the header into strings: a
 * general parser (every pair split, every value URI-decoded) showed in the hot path's profile.
 * Sealed values are base64url with `*` and `~`, so no decoding is needed; a value with a `%` is
 * returned as sent and simply fails to open.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  const length = header.length
  let start = 0
  while (start < length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = length
    let code = header.charCodeAt(start)
    while ((code === 32 || code === 9) && start < end) code = header.charCodeAt(++start)
    if (header.startsWith(name, start) && header.charCodeAt(start + name.length) === 61 /* = */) {
      const value = header.slice(start + name.length + 1, end).trim()
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
    start = end + 1
  }
  return undefined
}
