import type { PreviousCredential } from './types.js'

const NONE: readonly PreviousCredential[] = Object.freeze([])

/**
 * The `previous_credentials` column of both dialects: a JSON array of `{hash, rotatedAt}`, newest
 * first. Most sessions hold none ('[]'), and that case, read on every authenticated request,
 * allocates nothing. Anything unreadable is no predecessor (a credential then simply fails).
 */
export function decodePreviousCredentials(text: string | null): readonly PreviousCredential[] {
  if (text === null || text === '[]') return NONE
  try {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) return NONE
    return parsed.filter(
      (p): p is PreviousCredential => typeof p === 'object' && p !== null && typeof p.hash === 'string' && typeof p.rotatedAt === 'number',
    )
  } catch {
    return NONE
  }
}

export function encodePreviousCredentials(list: readonly PreviousCredential[]): string {
  return list.length === 0 ? '[]' : JSON.stringify(list.map(({ hash, rotatedAt }) => ({ hash, rotatedAt })))
}
