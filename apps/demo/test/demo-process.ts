import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, REPO_ROOT } from '../../gateway/test/process.js'

export interface DemoProcess {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  ports: { gateway: number; orders: number; profile: number; idp: number }
  dir: string
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix))

export async function demoPorts() {
  const [gateway, orders, profile, idp] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  return { gateway: gateway!, orders: orders!, profile: profile!, idp: idp! }
}

/**
 * Runs the launcher as `pnpm demo` does (`node --import tsx …`, one process), or through pnpm
 * itself with `viaPnpm`, in a process group of its own so a test can signal it like a terminal.
 */
export function runDemo(dir: string, ports: DemoProcess['ports'], options: { viaPnpm?: boolean; env?: Record<string, string> } = {}): DemoProcess {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(ports.gateway),
    DEMO_ORDERS_PORT: String(ports.orders),
    DEMO_PROFILE_PORT: String(ports.profile),
    DEMO_IDP_PORT: String(ports.idp),
    GATEHOUSE_DATA_DIR: dir,
    DATABASE_URL: `file:${join(dir, 'demo.db')}`,
    ...options.env,
  }
  const [command, args] = options.viaPnpm
    ? ['pnpm', ['demo']]
    : [process.execPath, ['--import', 'tsx', '--conditions=source', 'apps/demo/src/main.ts']]
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (err += String(d)))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let done = false
  void exited.then(() => (done = true))
  return {
    child,
    dir,
    ports,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(out)) {
        if (done) throw new Error(`exited before ${pattern}; stdout: ${out}; stderr: ${err}`)
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stdout: ${out}; stderr: ${err}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Polls until nothing answers on any of the ports (children exit on their own, asynchronously). */
export async function untilAllClosed(ports: number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open: number[] = []
    for (const port of ports) if (await listening(port)) open.push(port)
    if (open.length === 0 || Date.now() > deadline) return open
    await new Promise((r) => setTimeout(r, 100))
  }
}
