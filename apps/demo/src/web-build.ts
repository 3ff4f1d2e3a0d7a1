import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The newest modification time among the files that make up the app's source. */
function newestSource(webDir: string): number {
  let newest = 0
  const visit = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false })
    if (stat === undefined) return
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry))
    } else {
      newest = Math.max(newest, stat.mtimeMs)
    }
  }
  for (const part of ['src', 'public', 'index.html', 'vite.config.ts', 'package.json']) visit(join(webDir, part))
  // The docs the build copies in (vite.config.ts): a newer README means a stale copy.
  for (const doc of ['README.md', 'THREATS.md', 'packages/verify/README.md']) visit(join(webDir, '..', '..', doc))
  return newest
}

/** True when `dist/index.html` is missing or older than any source file. */
export function webBuildIsStale(webDir: string): boolean {
  const built = statSync(join(webDir, 'dist', 'index.html'), { throwIfNoEntry: false })
  return built === undefined || built.mtimeMs < newestSource(webDir)
}

/**
 * Builds apps/demo-web with its own Vite when the build is missing or stale, so `pnpm demo`
 * works right after `pnpm install` on a fresh clone. Vite's output goes to `log`.
 */
export async function ensureWebBuilt(webDir: string, log: (line: string) => void): Promise<'fresh' | 'built'> {
  if (!webBuildIsStale(webDir)) return 'fresh'
  const vitePackage = createRequire(join(webDir, 'package.json')).resolve('vite/package.json')
  const viteBin = join(dirname(vitePackage), 'bin', 'vite.js')
  log('building the demo web app (vite build)…')
  const child = spawn(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: webDir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += String(d)))
  child.stderr.on('data', (d) => (output += String(d)))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`vite build failed (exit ${code}):\n${output}`)
  if (output.trim() !== '') log(output.trim())
  return 'built'
}
