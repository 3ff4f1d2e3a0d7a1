import { userInfo } from 'node:os'
import { createPasswordHasher } from '../auth/passwords.js'
import { systemClock, type Clock } from '../clock.js'
import { loadConfig } from '../config/env.js'
import { createCore } from '../core.js'
import { ConfigError, GatewayError } from '../errors.js'
import { openStore } from '../open-store.js'
import { USER_USAGE, userCommand } from './commands/user.js'
import { SESSIONS_USAGE, sessionsCommand } from './commands/sessions.js'
import { AUDIT_USAGE, auditCommand } from './commands/audit.js'
import { KEYS_USAGE, keysCommand } from './commands/keys.js'
import { IDENTITIES_USAGE, identitiesCommand } from './commands/identities.js'
import { prune } from '../maintenance/prune.js'
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, UsageError, type CliContext, type CliIo } from './io.js'

const USAGE = ['usage: pnpm gatehouse <command>', '', ...['migrate', ...USER_USAGE, ...IDENTITIES_USAGE, ...SESSIONS_USAGE, ...KEYS_USAGE, ...AUDIT_USAGE, 'prune'].map((u) => `  ${u}`)].join('\n')

type Command = (args: string[], ctx: CliContext) => Promise<void>

const COMMANDS: Record<string, Command> = {
  migrate: async (args, ctx) => {
    if (args.length > 0) throw new UsageError('migrate takes no arguments')
    // Opening the store applied the migrations; say where.
    ctx.io.out(`migrations applied to ${ctx.config.database.kind === 'sqlite' ? ctx.config.database.path : 'postgres'}`)
  },
  user: userCommand,
  sessions: sessionsCommand,
  identities: identitiesCommand,
  keys: keysCommand,
  audit: auditCommand,
  prune: async (args, ctx) => {
    if (args.length > 0) throw new UsageError('prune takes no arguments')
    const r = await prune(ctx.store, ctx.clock, ctx.core.sessions, { accessTtlS: ctx.config.accessTtlS, auditRetentionDays: ctx.config.auditRetentionDays })
    ctx.io.out(
      `expired ${r.expired} session(s); deleted ${r.deletedSessions} ended session(s), ${r.deletedRateLimits} stale rate-limit row(s), ` +
        `${r.deletedRefreshTokens} consumed refresh token(s), ${r.deletedSigningKeys} retired signing key(s), ` +
        `${r.deletedOidcRecords} expired login transaction(s) and logout token id(s), ${r.deletedRevocations} expired revocation feed entr(y|ies); ` +
        `erased personal fields of ${r.erasedAuditEvents} audit event(s)`,
    )
  },
}

/** Runs one CLI command and returns its exit status: 0 done, 1 refused, 2 bad usage. */
export async function runCli(argv: string[], io: CliIo, clock: Clock = systemClock): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.err : io.out)(USAGE)
    return name === undefined ? EXIT_USAGE : EXIT_OK
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    io.err(`gatehouse: unknown command "${name}"\n\n${USAGE}`)
    return EXIT_USAGE
  }
  let store
  try {
    const config = loadConfig(io.env, io.cwd)
    // The CLI writes and leaves: it holds no cache lease (its writes still wait for the gateways').
    store = await openStore(config, { sessionCache: false })
    const core = createCore({ config, store, clock, hasher: createPasswordHasher() })
    await command(args, { io, config, store, core, clock, actor: { actor: `cli:${userInfo().username}`, clientIp: 'cli', userAgent: 'gatehouse-cli' } })
    return EXIT_OK
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`gatehouse: ${(error as Error).message}\n\n${USAGE}`)
      return EXIT_USAGE
    }
    if (error instanceof GatewayError || error instanceof ConfigError) {
      io.err(`gatehouse: ${error.message}`)
      return EXIT_REFUSED
    }
    const code = (error as { code?: string }).code
    io.err(`gatehouse: failed${code ? ` (${code})` : ''}: ${(error as Error).message}`)
    return EXIT_REFUSED
  } finally {
    await store?.close()
  }
}
