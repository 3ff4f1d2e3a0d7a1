import { fileURLToPath } from 'node:url'
import { createPasswordHasher } from './auth/passwords.js'
import { systemClock } from './clock.js'
import { loadConfig } from './config/env.js'
import { createCore } from './core.js'
import { planDemo } from './demo/demo-env.js'
import { seedDemoUsers } from './demo/seed.js'
import { startService, stopServices, signalService, waitUntilListening, type RunningService } from './demo/services.js'
import { ensureWebBuilt } from './demo/web-build.js'
import { ConfigError } from './errors.js'
import { openStore } from './open-store.js'
import { startGateway, type RunningGateway } from './server.js'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const say = (line: string) => process.stdout.write(`${line}\n`)

// `pnpm demo`: the whole workspace on embedded SQLite. Builds the web app if needed, applies
// migrations, seeds the demo users, starts both demo services, then the gateway serving the app.
async function main(): Promise<void> {
  const plan = planDemo(process.env, REPO_ROOT)
  // An explicit GATEHOUSE_WEB_ROOT is someone else's build; the default one is ours to refresh.
  if (!process.env.GATEHOUSE_WEB_ROOT) await ensureWebBuilt(plan.webDir, say)
  const config = loadConfig(plan.gatewayEnv, process.cwd())

  const store = await openStore(config)
  let seeded
  try {
    seeded = await seedDemoUsers(store, createCore({ config, store, clock: systemClock, hasher: createPasswordHasher() }).users)
  } finally {
    await store.close()
  }

  const services: RunningService[] = []
  let running: RunningGateway | undefined
  let stopping: Promise<void> | undefined
  const stop = (code: number) => {
    stopping ??= (async () => {
      await running?.close(5000)
      await stopServices(services)
      process.exit(code)
    })()
    return stopping
  }
  process.once('SIGINT', () => void stop(0))
  process.once('SIGTERM', () => void stop(0))
  // Last resort (an uncaught error, process.exit elsewhere): no service outlives the demo.
  process.once('exit', () => services.forEach((s) => signalService(s, 'SIGKILL')))

  try {
    for (const spec of plan.services) services.push(startService(REPO_ROOT, spec, say))
    await Promise.all(services.map((s) => waitUntilListening(s, '127.0.0.1')))
    for (const s of services) {
      void s.exited.then((code) => {
        if (stopping !== undefined) return
        process.stderr.write(`gatehouse demo: the ${s.name} service stopped (exit ${code}); stopping everything\n`)
        void stop(1)
      })
    }
    running = await startGateway(config)
  } catch (error) {
    await stopServices(services)
    throw error
  }

  const lines = [
    '',
    `  Gatehouse demo: open ${config.publicOrigin}`,
    `  (gateway ${running.url}; orders service on :${plan.services[0]!.port}, profile service on :${plan.services[1]!.port})`,
    '',
    '  Demo logins:',
    ...seeded.map((u) =>
      u.password
        ? `    ${u.username.padEnd(8)} ${u.password}   (${u.roles.join(', ')}) - shown once; keep it`
        : `    ${u.username.padEnd(8)} (exists; reset with: pnpm gatehouse user set-password ${u.username} --password-stdin)`,
    ),
    '',
    '  Ctrl-C stops everything.',
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse demo: ${error instanceof ConfigError ? 'configuration error: ' : ''}${(error as Error).message}\n`)
  process.exit(1)
})
