import type { CookiePayload } from './cookie.js'

export interface OpenedCookie {
  payload: CookiePayload
  stale: boolean
  /** The credential's hash, once computed: kept with the cached value, as the value itself is. */
  credentialHash?: string
}

/**
 * Remembers what a sealed cookie value opened to, because unsealing (iron, WebCrypto) is the
 * most expensive step of an authenticated request. Only values that opened are kept (a flood of
 * forgeries fills nothing), the least recently used go first past `max`, and every entry of a
 * session is dropped the moment it ends: a cached unseal never outlives the session it names.
 * It grants nothing by itself: the session is still looked up and its credential checked.
 */
export function createUnsealCache(max: number) {
  const byValue = new Map<string, OpenedCookie>()
  const bySession = new Map<string, Set<string>>()

  function forgetValue(value: string) {
    const entry = byValue.get(value)
    if (entry === undefined) return
    byValue.delete(value)
    const values = bySession.get(entry.payload.sid)
    values?.delete(value)
    if (values?.size === 0) bySession.delete(entry.payload.sid)
  }

  return {
    get(value: string): OpenedCookie | undefined {
      const hit = byValue.get(value)
      if (hit !== undefined) {
        // Re-insert: Map keeps insertion order, so the first key is always the least recent.
        byValue.delete(value)
        byValue.set(value, hit)
      }
      return hit
    },
    set(value: string, opened: OpenedCookie): void {
      if (max <= 0) return
      forgetValue(value)
      byValue.set(value, opened)
      let values = bySession.get(opened.payload.sid)
      if (values === undefined) bySession.set(opened.payload.sid, (values = new Set()))
      values.add(value)
      while (byValue.size > max) forgetValue(byValue.keys().next().value!)
    },
    forgetSessions(sessionIds: Iterable<string>): void {
      for (const sid of sessionIds) {
        for (const value of bySession.get(sid) ?? []) byValue.delete(value)
        bySession.delete(sid)
      }
    },
    has(value: string): boolean {
      return byValue.has(value)
    },
  }
}

export type UnsealCache = ReturnType<typeof createUnsealCache>
