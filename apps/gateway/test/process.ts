import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))

/** A free port on 127.0.0.1 (for processes that must be told their port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export interface Spawned {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves when stdout has printed a line matching. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  exited: Promise<number | null>
}

/** Runs a TypeScript entry of the repo the way the root scripts do (tsx, source condition). */
export function spawnTs(entry: string, args: string[], env: Record<string, string>, input?: string): Spawned {
  const child = spawn(TSX, ['--conditions=source', entry, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (err += String(d)))
  child.stdin!.end(input ?? '')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`)), timeoutMs)
        const check = () => {
          const m = out.match(pattern)
          if (m) {
            clearTimeout(timer)
            child.stdout!.off('data', check)
            resolve(m[0])
          }
        }
        child.stdout!.on('data', check)
        void exited.then(() => {
          clearTimeout(timer)
          reject(new Error(`exited before ${pattern}; stdout: ${out}; stderr: ${err}`))
        })
        check()
      })
    },
  }
}
