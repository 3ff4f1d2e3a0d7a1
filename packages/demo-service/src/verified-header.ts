/** What the demo's "under the hood" view shows of a verified token's header. */
export interface VerifiedHeader {
  alg?: unknown
  kid?: unknown
  typ?: unknown
}

/**
 * The header fields of the bearer token gatehouseAuth has just verified, for the demo's "under
 * the hood" view. Read after verification, never trusted before it; the token itself is never
 * echoed. A JWT's are its protected header's (`alg`, `kid`, `typ`). A PASETO has no header:
 * its version and purpose (`v4.public`) stand as `alg`, and `kid` is its footer's (which v4
 * authenticates).
 */
export function verifiedHeader(authorization: string | undefined): VerifiedHeader {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : ''
  const parts = token.split('.')
  try {
    if (parts[0] === 'v4' && parts[1] === 'public') {
      const footer = parts[3] === undefined ? {} : (JSON.parse(Buffer.from(parts[3], 'base64url').toString('utf8')) as Record<string, unknown>)
      return { alg: 'v4.public', kid: footer.kid }
    }
    const { alg, kid, typ } = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>
    return { alg, kid, typ }
  } catch {
    return {}
  }
}
