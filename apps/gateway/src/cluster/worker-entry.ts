import { fileURLToPath } from 'node:url'

/**
 * The worker's module and the node options to run it: from TypeScript sources (`pnpm gateway`,
 * the bench, the tests) through tsx with the `source` condition, as this process runs; from
 * compiled JavaScript as is.
 */
export function workerEntry(): { path: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts')
  const path = fileURLToPath(new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url))
  return { path, execArgv: fromSource ? ['--conditions=source', '--import', import.meta.resolve('tsx')] : [] }
}
