import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { ChildSpec } from './plan.js'

export type { ChildSpec } from './plan.js'

const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url))

export interface RunningChild {
  name: string
  port: number
  child: ChildProcess
  exited: Promise<number | null>
  /** The last lines it printed (to explain an unexpected exit). */
  tail(): string[]
}

/**
 * Starts a TypeScript entry of the repo in one node process (tsx as a loader, the `source`
 * condition) that ends with this process: see exit-with-parent.ts.
 */
export function startChild(repoRoot: string, spec: ChildSpec, log: (line: string) => void): RunningChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', '--import', EXIT_WITH_PARENT, spec.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env, PORT: String(spec.port), GATEHOUSE_DEMO_CHILD: '1' },
    // stdin: a pipe this process never writes to; its end of file tells the child we are gone.
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches the launcher alone, which then stops
    // the gateway first and the children after, in order.
    detached: true,
  })
  const tail: string[] = []
  const prefix = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (line.trim() === '') continue
      tail.push(line)
      if (tail.length > 20) tail.shift()
      log(`[${spec.name}] ${line}`)
    }
  }
  child.stdout!.on('data', prefix)
  child.stderr!.on('data', prefix)
  child.stdin!.on('error', () => {})
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.once('error', () => resolve(null))
  })
  return { name: spec.name, port: spec.port, child, exited, tail: () => [...tail] }
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Resolves once the child accepts connections; rejects if it exits first or takes too long. */
export async function waitUntilListening(running: RunningChild, host: string, timeoutMs = 30_000): Promise<void> {
  let exited = false
  void running.exited.then(() => (exited = true))
  const deadline = Date.now() + timeoutMs
  while (!(await portAnswers(host, running.port))) {
    if (exited) throw new Error(`the ${running.name} service exited before listening on port ${running.port}:\n${running.tail().join('\n')}`)
    if (Date.now() > deadline) throw new Error(`the ${running.name} service did not listen on port ${running.port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Signals the child's whole process group. */
export function signalChild(running: RunningChild, signal: NodeJS.Signals): void {
  if (running.child.pid === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return
  try {
    process.kill(-running.child.pid, signal)
  } catch {
    // Already gone.
  }
}

/** SIGTERM to each child still running, SIGKILL after `graceMs`; resolves when all have exited. */
export async function stopChildren(children: RunningChild[], graceMs = 5000): Promise<void> {
  await Promise.all(
    children.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return
      signalChild(s, 'SIGTERM')
      const timer = setTimeout(() => signalChild(s, 'SIGKILL'), graceMs)
      await s.exited
      clearTimeout(timer)
    }),
  )
}
