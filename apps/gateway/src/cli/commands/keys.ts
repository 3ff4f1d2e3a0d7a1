import { parseArgs } from 'node:util'
import { UsageError, type CliContext } from '../io.js'

export const KEYS_USAGE = ['keys rotate [--emergency]']

export async function keysCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'rotate': {
      const { values } = parseArgs({ args: rest, options: { emergency: { type: 'boolean' } } })
      const emergency = values.emergency ?? false
      const { keys } = ctx.core
      const result = await keys.rotate({ emergency, origin: ctx.actor })
      const old = emergency
        ? 'older keys are no longer published'
        : `older keys stay published for ${Math.ceil(keys.publishWindowMs / 1000)} s`
      ctx.io.out(`new signing key ${result.kid} (${result.alg}) signs from now on; ${old}; running gateways pick it up within seconds`)
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'keys needs a subcommand' : `unknown keys subcommand "${sub}"`)
  }
}
