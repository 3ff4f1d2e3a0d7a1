import cluster from 'node:cluster'
import { loadConfig } from '../config/env.js'
import { createLogger } from '../logging/logger.js'
import { startGateway, type RunningGateway } from '../server.js'
import type { FromWorker, ToWorker } from './messages.js'

// The entry of a worker forked by start-workers.ts: one ordinary gateway on the shared port,
// told what to do over IPC (it reads no environment of its own).

const send = (message: FromWorker): void => void process.send?.(message)
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
    running = await startGateway(config, { logger, prune: message.prune, opsListener: false })
    send({ type: 'ready', url: running.url, port: running.port, opsUrl: running.opsUrl })
  } catch (error) {
    // Exits once the primary has the reason (it decides whether to try again).
    process.send?.({ type: 'failed', code: (error as { code?: string }).code, message: (error as Error).message } satisfies FromWorker, () => process.exit(1))
  }
}

async function answerOps(id: number, path: string): Promise<void> {
  if (running === undefined) {
    send({ type: 'ops', id, status: 503, contentType: null, body: '' })
    return
  }
  const res = await running.gateway.ops.request(path)
  const body = await res.text()
  // Read right after the route refreshed the store's gauges.
  const metrics = path === '/metrics' && res.ok ? await running.gateway.metrics.registry.getMetricsAsJSON() : undefined
  send({ type: 'ops', id, status: res.status, contentType: res.headers.get('content-type'), body: metrics === undefined ? body : '', ...(metrics === undefined ? {} : { metrics }) })
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'start') void start(message)
  else if (message.type === 'stop') stop(message.graceMs)
  else if (message.type === 'ops') answerOps(message.id, message.path).catch(() => send({ type: 'ops', id: message.id, status: 500, contentType: null, body: '' }))
})
send({ type: 'waiting' })
// Ctrl-C reaches the whole process group: the primary drains the workers, in order.
process.on('SIGINT', () => {})
// A worker told to stop on its own drains like a gateway (the primary starts another).
process.once('SIGTERM', () => stop(10_000))
// The primary is gone: nobody will route to this worker again.
process.once('disconnect', () => stop(10_000))
