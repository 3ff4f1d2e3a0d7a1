import { fileURLToPath } from 'node:url'
import { createPasswordHasher } from '../../gateway/src/auth/passwords.js'
import { systemClock } from '../../gateway/src/clock.js'
import { loadConfig } from '../../gateway/src/config/env.js'
import { createCore } from '../../gateway/src/core.js'
import { ConfigError } from '../../gateway/src/errors.js'
import { createLogger } from '../../gateway/src/logging/logger.js'
import { openStore } from '../../gateway/src/open-store.js'
import { startGateway, type RunningGateway } from '../../gateway/src/server.js'
import { banner } from './banner.js'
import { startChild, stopChildren, signalChild, waitUntilListening, type RunningChild } from './children.js'
import { prettyDestination } from './console-log.js'
import { keepLogins } from './logins-file.js'
import { DEMO_IDP_USER, withDemoIdp } from './demo-idp.js'
import { planDemo } from './plan.js'
import { checkPorts, PortsUnavailableError } from './ports.js'
import { seedDemoUsers } from './seed.js'
import { ensureWebBuilt } from './web-build.js'

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const say = (line: string) => process.stdout.write(`${line}\n`)
const complain = (line: string) => process.stderr.write(`gatehouse demo: ${line}\n`)

// `pnpm demo`: the whole workspace on embedded SQLite. Checks every port, builds the web app if
// needed, applies migrations, seeds the demo users, starts the children, then the gateway.
async function main(): Promise<void> {
  // Signals are handled from the first moment: a Ctrl-C during the build or the seeding is clean too.
  const children: RunningChild[] = []
  let running: RunningGateway | undefined
  let stopping: Promise<void> | undefined
  const stop = (code: number) => {
    stopping ??= (async () => {
      await running?.close(5000)
      await stopChildren(children)
      process.exit(code)
    })()
    return stopping
  }
  // A clean stop is a success: exit 0, so `pnpm demo` reports no failed command. `on`, not `once`:
  // a terminal's Ctrl-C reaches pnpm too, which sends a second SIGINT of its own.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0))
  // Last resort (an uncaught error, process.exit elsewhere); a SIGKILL is handled by the children.
  process.once('exit', () => children.forEach((s) => signalChild(s, 'SIGKILL')))

  const plan = withDemoIdp(planDemo(process.env, REPO_ROOT), process.env, REPO_ROOT)
  await checkPorts(plan.ports)
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
  const logins = keepLogins(config.dataDir, seeded)

  try {
    for (const spec of plan.children) children.push(startChild(REPO_ROOT, spec, say))
    await Promise.all(children.map((s) => waitUntilListening(s, '127.0.0.1')))
    for (const s of children) {
      void s.exited.then((code) => {
        if (stopping !== undefined) return
        complain(`the ${s.name} service stopped (exit ${code}); stopping everything. Its last lines:\n${s.tail().join('\n')}`)
        void stop(1)
      })
    }
    running = await startGateway(config, { logger: createLogger(config.logLevel, prettyDestination(say)), apiReference: true })
  } catch (error) {
    await stopChildren(children)
    throw error
  }
  say(
    banner({
      origin: config.publicOrigin,
      gatewayUrl: running.url,
      children: plan.children,
      logins,
      ...(plan.idpIssuer ? { idp: { issuer: plan.idpIssuer, ...DEMO_IDP_USER } } : {}),
    }),
  )
}

function explain(error: unknown): string {
  if (error instanceof PortsUnavailableError) return `cannot start, nothing was started:\n  ${error.problems.join('\n  ')}`
  if (error instanceof ConfigError) return `configuration error: ${error.message}`
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return `a port was taken while starting (${(error as Error).message}); run pnpm demo again`
  return (error as Error).message
}

main().catch((error: unknown) => {
  complain(explain(error))
  process.exit(1)
})
