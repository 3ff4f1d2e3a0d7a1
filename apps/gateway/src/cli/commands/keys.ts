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
      const at = (ms: number) => new Date(ms).toISOString()
      if (emergency) {
        const dropped = result.dropped.length === 0 ? 'none' : result.dropped.join(', ')
        ctx.io.out(`new signing key ${result.kid} (${result.alg}) signs now; dropped from the JWKS at once: ${dropped}; running gateways pick it up within seconds`)
      } else {
        const wait = Math.round((result.signsFrom - ctx.clock.now()) / 1000)
        ctx.io.out(
          `new signing key ${result.kid} (${result.alg}) is published now and signs from ${at(result.signsFrom)} (in ${wait} s, so services can fetch it first); ` +
            `until then ${result.retired.join(', ') || 'the previous key'} signs, and stays published for ${Math.ceil(keys.publishWindowMs / 1000)} s after the rotation`,
        )
      }
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'keys needs a subcommand' : `unknown keys subcommand "${sub}"`)
  }
}
