const MAX_LENGTH = 2048
const BASE = 'http://return-to.invalid'

/** One round of percent-decoding, or null when the text is not valid percent-encoding. */
function decodeOnce(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

/**
 * Where to send the browser after a login: a path of this origin, or "/". Refused (and replaced by
 * "/"): absolute URLs, scheme-relative `//host`, backslashes (browsers read `/\host` as `//host`),
 * control characters, and any of these hidden behind percent-encoding.
 */
export function safeReturnTo(raw: string | undefined | null): string {
  if (raw === undefined || raw === null || raw === '' || raw.length > MAX_LENGTH) return '/'
  let text = raw
  // Every decoding of the value must stay a plain path: a later hop may decode it again.
  for (let round = 0; round < 3; round++) {
    if (!text.startsWith('/') || text.startsWith('//') || /[\\\x00-\x1f\x7f]/.test(text)) return '/'
    const decoded = decodeOnce(text)
    if (decoded === null) return '/'
    if (decoded === text) break
    text = decoded
  }
  const url = new URL(raw, BASE)
  if (url.origin !== BASE) return '/'
  return url.pathname + url.search + url.hash
}
