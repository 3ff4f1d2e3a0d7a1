import cluster from 'node:cluster'
import { loadConfig } from '../config/env.js'
import { createLogger } from '../logging/logger.js'
import { startGateway, type RunningGateway } from '../server.js'
import type { FromWorker, ToWorker } from './messages.js'

// The entry of a worker forked by start-workers.ts: one ordinary gateway on the shared port,
// told what to do over IPC (it reads no environment of its own).

const send = (message: FromWorker) => process.send?.(message)
let running: RunningGateway | undefined
let stopping: Promise<void> | undefined

function stop(graceMs: number): void {
  stopping ??= (running?.close(graceMs) ?? Promise.resolve()).then(
    () => process.exit(0),
    () => process.exit(1),
  )
}

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  try {
    const config = loadConfig(message.env, message.cwd)
    // Every line says which process wrote it: the workers share one stdout.
    const logger = createLogger(config.logLevel).child({ pid: process.pid, worker: cluster.worker?.id })
    running = await startGateway(config, { logger, prune: message.prune })
    send({ type: 'ready', url: running.url, port: running.port, opsUrl: running.opsUrl })
  } catch (error) {
    // Exits once the primary has the reason (it decides whether to try again).
    process.send?.({ type: 'failed', code: (error as { code?: string }).code, message: (error as Error).message } satisfies FromWorker, () => process.exit(1))
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'start') void start(message)
  else if (message.type === 'stop') stop(message.graceMs)
})
send({ type: 'waiting' })
// Ctrl-C reaches the whole process group: the primary drains the workers, in order.
process.on('SIGINT', () => {})
// A worker told to stop on its own drains like a gateway (the primary starts another).
process.once('SIGTERM', () => stop(10_000))
// The primary is gone: nobody will route to this worker again.
process.once('disconnect', () => stop(10_000))
