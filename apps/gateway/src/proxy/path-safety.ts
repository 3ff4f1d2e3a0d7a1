import { GatewayError } from '../errors.js'

/** Where `/api/<name>/<rest>?<query>` goes: `rest` and `query` exactly as the client wrote them. */
export interface ProxyTarget {
  name: string
  /** "" or starting with "/", still percent-encoded. */
  rest: string
  /** "" or starting with "?". */
  query: string
}

const PREFIX = '/api/'
// Printable ASCII only: anything else in a request target is not a valid URI and is read
// differently by different servers.
const PRINTABLE = /^[\x21-\x7e]*$/
// How many layers of percent-encoding are peeled to look for a hidden "..", "/" or "\".
const DECODE_LAYERS = 3

function refuse(detail: string): never {
  throw new GatewayError('ERR_BAD_REQUEST', { detail })
}

/** The path of a request target in origin form; absolute form (`GET http://host/path`) is cut to its path. */
export function targetPath(rawTarget: string): string {
  if (rawTarget.startsWith('/')) return rawTarget
  const scheme = rawTarget.indexOf('://')
  if (scheme === -1) refuse('the request target is not a path')
  const slash = rawTarget.indexOf('/', scheme + 3)
  const query = rawTarget.indexOf('?', scheme + 3)
  if (slash === -1 || (query !== -1 && query < slash)) return `/${query === -1 ? '' : rawTarget.slice(query)}`
  return rawTarget.slice(slash)
}

/** One layer of percent-decoding, byte by byte; a stray "%" stays (it is data at this layer). */
function peel(value: string): string {
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

/**
 * A segment that some server along the way could read as "go up", or as more than one segment:
 * `.`/`..` (also percent-encoded, double-encoded, overlong UTF-8, or with Tomcat's `;params`), an
 * encoded `/` or `\`, a backslash, NUL. Refused outright rather than normalised: normalising is
 * exactly where gateways and upstreams disagree.
 */
function assertSafeSegment(segment: string): void {
  if (/%(?![0-9A-Fa-f]{2})/.test(segment)) refuse('the path holds a malformed percent-encoding')
  let value = segment
  for (let layer = 0; ; layer++) {
    if (value.includes('\\')) refuse('the path holds a backslash')
    if (value.includes('\0')) refuse('the path holds a NUL')
    if (layer > 0 && value.includes('/')) refuse('the path holds an encoded slash')
    // 0xC0, 0xC1 and 0xE0 0x80-0x9F never occur in UTF-8; they start overlong forms of "." and "/".
    if (layer > 0 && /[\xc0\xc1]|\xe0[\x80-\x9f]/.test(value)) refuse('the path holds an overlong encoding')
    const bare = value.split(';', 1)[0]!
    if (bare === '.' || bare === '..') refuse('the path holds a dot segment')
    const next = peel(value)
    if (next === value) return
    if (layer === DECODE_LAYERS) refuse('the path is encoded too many times')
    value = next
  }
}

/**
 * Splits a raw request target (as received, before any URL parser normalised it) into the
 * upstream name, the rest of the path and the query, refusing with 400 whatever could escape
 * `/api/<name>/`.
 */
export function parseProxyTarget(rawTarget: string): ProxyTarget {
  const target = targetPath(rawTarget)
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  const query = q === -1 ? '' : target.slice(q)
  if (!PRINTABLE.test(path)) refuse('the path holds characters that must be percent-encoded')
  if (!PRINTABLE.test(query)) refuse('the query holds characters that must be percent-encoded')
  if (!path.startsWith(PREFIX)) refuse('not an /api/ path')
  const slash = path.indexOf('/', PREFIX.length)
  const name = slash === -1 ? path.slice(PREFIX.length) : path.slice(PREFIX.length, slash)
  const rest = slash === -1 ? '' : path.slice(slash)
  for (const segment of path.slice(1).split('/')) assertSafeSegment(segment)
  return { name, rest, query }
}

/**
 * The path as route rules match it: decoded, `;params` dropped, empty segments dropped, lower
 * case. Several spellings an upstream may treat alike (`/Admin`, `//admin`, `/%61dmin`) so fall
 * under the same rule. Only called on paths `parseProxyTarget` accepted.
 */
export function canonicalPath(rest: string): string {
  const segments: string[] = []
  for (const raw of rest.split('/')) {
    let value = raw
    for (let next = peel(value); next !== value; next = peel(value)) value = next
    const bare = value.split(';', 1)[0]!
    if (bare.length > 0) segments.push(bare.toLowerCase())
  }
  return `/${segments.join('/')}`
}
