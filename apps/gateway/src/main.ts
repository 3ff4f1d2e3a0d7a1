import { loadConfig } from './config/env.js'
import { ConfigError } from './errors.js'
import { startGateway } from './server.js'
import { startGatewayWorkers } from './cluster/start-workers.js'

// The only module that reads process.env; everything below gets a parsed config.
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig(process.env, process.cwd())
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  // GATEHOUSE_WORKERS > 1: this process only forks, watches and drains the workers that serve.
  const running = config.workers > 1 ? await startGatewayWorkers({ env: process.env, cwd: process.cwd(), workers: config.workers }) : await startGateway(config)
  process.stdout.write(`Gatehouse listening on ${running.url} (public origin ${config.publicOrigin}${config.workers > 1 ? `, ${config.workers} workers` : ''})\n`)
  if (running.opsUrl !== undefined) process.stdout.write(`Operations listener (/metrics, /healthz, /readyz) on ${running.opsUrl}\n`)
  const stop = (signal: string) => {
    process.stdout.write(`${signal}: finishing in-flight requests\n`)
    void running.close().then(() => process.exit(0))
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  const code = (error as { code?: string }).code
  process.stderr.write(`gatehouse: failed to start${code ? ` (${code})` : ''}: ${(error as Error).message}\n`)
  process.exit(1)
})
