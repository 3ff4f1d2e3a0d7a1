import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { join } from 'node:path'

export interface ServiceSpec {
  name: string
  /** Entry file, relative to the repository root. */
  entry: string
  port: number
  env: Record<string, string>
}

export interface RunningService {
  name: string
  port: number
  child: ChildProcess
  exited: Promise<number | null>
}

/** Starts a TypeScript entry of the repo as the root scripts do: the repo's tsx, source condition. */
export function startService(repoRoot: string, spec: ServiceSpec, log: (line: string) => void): RunningService {
  const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx')
  const child = spawn(tsx, ['--conditions=source', spec.entry], {
    cwd: repoRoot,
    env: { ...process.env, ...spec.env, PORT: String(spec.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs the service in a child of its own, and signalling the
    // group reaches both, so a SIGKILL never leaves the service orphaned with its port open.
    detached: true,
  })
  const prefix = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.trim() !== '') log(`[${spec.name}] ${line}`)
  }
  child.stdout!.on('data', prefix)
  child.stderr!.on('data', prefix)
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.once('error', () => resolve(null))
  })
  return { name: spec.name, port: spec.port, child, exited }
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

/** Resolves once the service accepts connections; rejects if it exits first or takes too long. */
export async function waitUntilListening(service: RunningService, host: string, timeoutMs = 30_000): Promise<void> {
  let exited = false
  void service.exited.then(() => (exited = true))
  const deadline = Date.now() + timeoutMs
  while (!(await portAnswers(host, service.port))) {
    if (exited) throw new Error(`${service.name} exited before listening on port ${service.port}`)
    if (Date.now() > deadline) throw new Error(`${service.name} did not listen on port ${service.port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Signals the service's whole process group (tsx and the node process it runs). */
export function signalService(service: RunningService, signal: NodeJS.Signals): void {
  if (service.child.pid === undefined || service.child.exitCode !== null || service.child.signalCode !== null) return
  try {
    process.kill(-service.child.pid, signal)
  } catch {
    // Already gone.
  }
}

/** SIGTERM to each service still running, SIGKILL after `graceMs`; resolves when all have exited. */
export async function stopServices(services: RunningService[], graceMs = 5000): Promise<void> {
  await Promise.all(
    services.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return
      signalService(s, 'SIGTERM')
      const timer = setTimeout(() => signalService(s, 'SIGKILL'), graceMs)
      await s.exited
      clearTimeout(timer)
    }),
  )
}
