import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildInit, ChildMessage, Command, Commands, ParentMessage } from './ipc.js'

const ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url))

export interface ServerChild {
  readonly role: ChildInit['role']
  readonly url: string
  readonly pid: number
  call<C extends Command>(cmd: C, args: Commands[C]['args']): Promise<Commands[C]['result']>
  /** Asks it to close and exit; kills it (by its pid) if it has not after a few seconds. */
  stop(): Promise<void>
}

/**
 * Forks child.ts under tsx with the repo's `source` condition (as `pnpm bench` runs), plus
 * `--expose-gc` so memory can be read after a collection.
 */
export function startChild(init: ChildInit, extraExecArgv: string[] = []): Promise<ServerChild> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: ['--conditions=source', '--import', import.meta.resolve('tsx'), '--expose-gc', ...extraExecArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  let nextId = 1

  const post = (message: ParentMessage) => child.send(message)

  return new Promise<ServerChild>((resolve, reject) => {
    const onExitEarly = (code: number | null) => reject(new Error(`${init.role} child exited (${code}) before it was ready`))
    child.once('exit', onExitEarly)
    child.once('exit', () => {
      for (const p of pending.values()) p.reject(new Error(`${init.role} child exited`))
      pending.clear()
    })
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'failed') return reject(new Error(`${init.role} child failed to start: ${message.error}`))
      if (message.type === 'ready') {
        child.off('exit', onExitEarly)
        const handle: ServerChild = {
          role: init.role,
          url: message.url,
          pid: child.pid!,
          call(cmd, args) {
            const id = nextId++
            return new Promise((res, rej) => {
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej })
              post({ type: 'call', id, cmd, args })
            })
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return
            const force = setTimeout(() => child.kill('SIGKILL'), 5000)
            await handle.call('stop', {}).catch(() => undefined)
            await exited
            clearTimeout(force)
          },
        }
        return resolve(handle)
      }
      const p = pending.get(message.id)
      if (!p) return
      pending.delete(message.id)
      if (message.ok) p.resolve(message.result)
      else p.reject(new Error(`${init.role} child: ${message.error}`))
    })
    post({ type: 'init', init })
  })
}
