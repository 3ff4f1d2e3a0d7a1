import type { LoadResult } from '../load.js'

/** A run with refused or failed requests measured something else than intended: stop there. */
export function assertClean<T extends LoadResult>(what: string, result: T): T {
  if (result.non2xx > 0 || result.errors > 0 || result.ok === 0) {
    throw new Error(`${what}: ${result.ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors`)
  }
  return result
}
