/** When an access token from the token endpoint expires (gateway clock); null when the IdP did not say. */
export function accessExpiry(tokens: { expires_in?: number | undefined }, now: number): number | null {
  const seconds = tokens.expires_in
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? now + seconds * 1000 : null
}

/** No answer from the IdP at all (refused, reset, timed out), as opposed to an answer that says no. */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof TypeError) return true
  const name = (error as { name?: unknown } | null)?.name
  return name === 'TimeoutError' || name === 'AbortError'
}
