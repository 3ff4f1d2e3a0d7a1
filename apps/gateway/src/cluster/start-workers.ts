import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'
import { loadConfig } from '../config/env.js'
import { createLogger } from '../logging/logger.js'
import { isFromWorker, type FromWorker, type ToWorker } from './messages.js'
import { restartDelayMs } from './restart-delay.js'
import { listenOps, type OpsAnswer } from './ops-listener.js'
import { workerEntry } from './worker-entry.js'

export interface RunningWorkers {
  url: string
  port: number
  opsUrl?: string
  /** The live workers' process ids (not the primary's). */
  pids(): number[]
  /** Drains every worker (each as a single gateway does, up to `graceMs`) and waits for them to exit. */
  close(graceMs?: number): Promise<void>
}

export interface WorkersOptions {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>
  cwd?: string
  workers: number
  /** Added to the workers' node options (e.g. `--expose-gc`). */
  execArgv?: string[]
  /** The primary's own lines (a worker that died, its replacement); defaults to LOG_LEVEL's. */
  logger?: Logger
}

type Ready = Extract<FromWorker, { type: 'ready' }>

/** How long the operations listener waits for each worker's answer. */
const OPS_ANSWER_MS = 5_000

interface Slot {
  readonly index: number
  worker?: Worker | undefined
  /** Its gateway is listening (it may be asked for metrics and readiness). */
  ready: boolean
  startedAt: number
  /** Restarts in a row of workers that did not live long. */
  failures: number
  timer?: NodeJS.Timeout | undefined
}

class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

/**
 * GATEHOUSE_WORKERS=N: this process becomes a node:cluster primary and forks N workers, each an
 * ordinary gateway listening on the same host and port (the primary holds the one socket and
 * hands connections round-robin). The first worker starts alone, so the store is migrated and
 * the first signing key made once, before the others start; it alone runs the periodic prune.
 * A worker that dies is replaced, after a delay that grows while replacements keep dying.
 */
export async function startGatewayWorkers(options: WorkersOptions): Promise<RunningWorkers> {
  if (!cluster.isPrimary) throw new Error('startGatewayWorkers runs in a cluster primary, not in a worker')
  if (!Number.isSafeInteger(options.workers) || options.workers < 1) throw new TypeError('workers must be a positive integer')
  const cwd = options.cwd ?? process.cwd()
  const env = { ...options.env }
  // Once here, so a bad value stops the start with its variable named, before any fork (and
  // development secrets are written once, not raced by the workers).
  const config = loadConfig(env, cwd)
  const logger = options.logger ?? createLogger(config.logLevel).child({ pid: process.pid, role: 'primary' })
  const entry = workerEntry()
  cluster.setupPrimary({ exec: entry.path, execArgv: [...entry.execArgv, ...(options.execArgv ?? [])], args: [] })

  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({ index, ready: false, startedAt: 0, failures: 0 }))
  let closing = false
  let port: number | undefined
  const opsPending = new Map<number, (answer: OpsAnswer) => void>()
  let nextOpsId = 1

  const fork = (slot: Slot): Promise<Ready> =>
    new Promise<Ready>((resolve, reject) => {
      const worker = cluster.fork()
      slot.worker = worker
      slot.ready = false
      slot.startedAt = Date.now()
      let settled = false
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return
        if (message.type === 'ops') {
          opsPending.get(message.id)?.(message)
        } else if (message.type === 'waiting') {
          worker.send({ type: 'start', env, cwd, prune: slot.index === 0 } satisfies ToWorker)
        } else if (message.type === 'ready') {
          settled = true
          slot.ready = true
          resolve(message)
        } else {
          settled = true
          reject(new WorkerStartError(message.message, message.code))
        }
      })
      worker.once('exit', (code, signal) => {
        if (slot.worker === worker) {
          slot.worker = undefined
          slot.ready = false
        }
        if (!settled) {
          settled = true
          reject(new WorkerStartError(`worker exited (${signal ?? code}) before it was listening`, undefined))
        }
        if (!closing && port !== undefined) replace(slot, code, signal)
      })
    })

  const replace = (slot: Slot, code: number | null, signal: string | null) => {
    // A worker that served a while and then died starts the count again.
    if (Date.now() - slot.startedAt > 30_000) slot.failures = 0
    const delayMs = restartDelayMs(slot.failures++)
    logger.error({ slot: slot.index + 1, code, signal, restartInMs: delayMs }, 'gatehouse worker exited; starting another')
    slot.timer = setTimeout(() => {
      slot.timer = undefined
      if (closing) return
      fork(slot).then(
        (ready) => {
          if (ready.port !== port) logger.error({ slot: slot.index + 1, port: ready.port, expected: port }, 'gatehouse worker listens on another port')
          else logger.info({ slot: slot.index + 1, pid: slot.worker?.process.pid }, 'gatehouse worker replaced')
        },
        (error: unknown) => logger.error({ slot: slot.index + 1, reason: (error as Error).message }, 'gatehouse worker failed to start'),
      )
    }, delayMs)
  }

  const askWorkers = (path: string) =>
    Promise.all(
      slots
        .filter((slot) => slot.ready && slot.worker?.isConnected() === true)
        .map(
          (slot) =>
            new Promise<OpsAnswer | undefined>((resolve) => {
              const id = nextOpsId++
              const timer = setTimeout(() => done(undefined), OPS_ANSWER_MS)
              const done = (answer: OpsAnswer | undefined) => {
                clearTimeout(timer)
                opsPending.delete(id)
                resolve(answer)
              }
              opsPending.set(id, done)
              slot.worker!.send({ type: 'ops', id, path } satisfies ToWorker)
            }),
        ),
    )
  let ops: Awaited<ReturnType<typeof listenOps>> | undefined

  const close = async (graceMs = 10_000): Promise<void> => {
    closing = true
    if (ops !== undefined) {
      ops.server.close()
      ops.server.closeAllConnections()
    }
    await Promise.all(
      slots.map(async (slot) => {
        clearTimeout(slot.timer)
        const worker = slot.worker
        if (worker === undefined || worker.isDead()) return
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
        // A worker stuck past its grace is killed: close() always ends.
        const force = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + 5_000)
        if (worker.isConnected()) worker.send({ type: 'stop', graceMs } satisfies ToWorker)
        else worker.process.kill('SIGTERM')
        await exited
        clearTimeout(force)
      }),
    )
  }

  let first: Ready
  try {
    // Alone first: it migrates the store and makes the first signing key.
    first = await fork(slots[0]!)
    const rest = await Promise.all(slots.slice(1).map(fork))
    // Port 0 still means one port: the primary shares one socket per (address, port 0) listen.
    const strays = rest.filter((r) => r.port !== first.port)
    if (strays.length > 0) throw new WorkerStartError(`workers listen on ports ${[first, ...rest].map((r) => r.port).join(', ')}, not one`, undefined)
  } catch (error) {
    await close(0)
    throw error
  }
  port = first.port
  if (config.opsAddress !== undefined) {
    try {
      ops = await listenOps(config.opsAddress, askWorkers)
    } catch (error) {
      await close(0)
      throw error
    }
  }
  logger.info({ url: first.url, ops: ops?.url, workers: options.workers, pids: slots.map((s) => s.worker?.process.pid) }, 'gatehouse workers listening')
  return {
    url: first.url,
    port: first.port,
    ...(ops === undefined ? {} : { opsUrl: ops.url }),
    pids: () => slots.flatMap((s) => (s.worker !== undefined && !s.worker.isDead() && s.worker.process.pid !== undefined ? [s.worker.process.pid] : [])),
    close,
  }
}
