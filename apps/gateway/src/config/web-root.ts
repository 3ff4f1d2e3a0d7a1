import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError } from '../errors.js'

/**
 * GATEHOUSE_WEB_ROOT: a directory holding a built web app (at least `index.html`), resolved
 * against the working directory. Checked once at start-up, so a wrong path stops the gateway
 * instead of answering 404 to every page.
 */
export function parseWebRoot(value: string | undefined, cwd: string): string | undefined {
  if (value === undefined || value === '') return undefined
  const root = resolve(cwd, value)
  const isDir = statSync(root, { throwIfNoEntry: false })?.isDirectory() ?? false
  if (!isDir) throw new ConfigError('GATEHOUSE_WEB_ROOT', `"${root}" is not a directory`)
  if (!(statSync(join(root, 'index.html'), { throwIfNoEntry: false })?.isFile() ?? false)) {
    throw new ConfigError('GATEHOUSE_WEB_ROOT', `"${root}" has no index.html`)
  }
  return root
}
