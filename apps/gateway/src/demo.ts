import { createPasswordHasher } from './auth/passwords.js'
import { systemClock } from './clock.js'
import { loadConfig } from './config/env.js'
import { createCore } from './core.js'
import { seedDemoUsers } from './demo/seed.js'
import { ConfigError } from './errors.js'
import { startGateway } from './server.js'

// `pnpm demo`: the gateway with seeded demo users on embedded SQLite.
async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd())
  const running = await startGateway(config)
  const core = createCore({ config, store: running.store, clock: systemClock, hasher: createPasswordHasher() })
  const seeded = await seedDemoUsers(running.store, core.users)

  const lines = [
    '',
    `  Gatehouse demo: open ${config.publicOrigin}`,
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
  const stop = () => void running.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`gatehouse demo: ${error instanceof ConfigError ? 'configuration error: ' : ''}${(error as Error).message}\n`)
  process.exit(1)
})
