/**
 * The header fields of the bearer token gatehouseAuth has just verified (`alg`, `kid`, `typ`),
 * for the demo's "under the hood" view. Read after verification, never trusted before it; the
 * token itself is never echoed.
 */
export function verifiedHeader(authorization: string | undefined): { alg?: unknown; kid?: unknown; typ?: unknown } {
  const segment = authorization?.slice('Bearer '.length).split('.')[0] ?? ''
  try {
    const { alg, kid, typ } = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
    return { alg, kid, typ }
  } catch {
    return {}
  }
}
