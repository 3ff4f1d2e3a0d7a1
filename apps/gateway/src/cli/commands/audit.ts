import { parseArgs } from 'node:util'
import { verifyAuditChain } from '@gatehouse/store'
import { GatewayError } from '../../errors.js'
import { parseSince } from '../../routes/admin-audit.js'
import { UsageError, type CliContext } from '../io.js'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

export const AUDIT_USAGE = ['audit list [--user U] [--type T] [--since TIME] [--limit N]', 'audit verify']

export async function auditCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'list': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { user: { type: 'string' }, type: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
      })
      if (positionals.length > 0) throw new UsageError('audit list takes only options')
      const limit = values.limit === undefined ? 100 : Number(values.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit is a whole number from 1 to 100000')
      let since: number | undefined
      try {
        since = parseSince(values.since)
      } catch {
        throw new UsageError('--since is an ISO time or epoch milliseconds')
      }
      const userId = values.user === undefined ? undefined : (await ctx.core.users.findByUsername(values.user)).id
      const events = await ctx.store.listAudit({
        ...(userId === undefined ? {} : { userId }),
        ...(values.type === undefined ? {} : { type: values.type }),
        ...(since === undefined ? {} : { since }),
        limit,
      })
      // Users by name, as they were asked for: ids only for accounts deleted since.
      const names = new Map((await ctx.store.listUsers()).map((u) => [u.id, u.username]))
      const named = (text: string) => text.replace(UUID, (id) => names.get(id) ?? id)
      for (const e of events) {
        // Personal fields come decrypted (or null once retention erased them).
        const who = [
          e.userId && `user=${names.get(e.userId) ?? e.userId}`,
          e.sessionId && `session=${e.sessionId}`,
          e.clientIp && `ip=${e.clientIp}`,
          e.deviceName && `device=${JSON.stringify(e.deviceName)}`,
          e.userAgent && `ua=${JSON.stringify(e.userAgent)}`,
        ]
          .filter(Boolean)
          .join(' ')
        ctx.io.out(`#${e.seq} ${new Date(e.at).toISOString()} ${e.type} ${who} ${named(JSON.stringify(e.details))}`)
      }
      return
    }
    case 'verify': {
      if (rest.length > 0) throw new UsageError('audit verify takes no arguments')
      const result = await verifyAuditChain((after, limit) => ctx.store.auditPage(after, limit))
      if (!result.ok) {
        throw new GatewayError('ERR_CONFLICT', {
          detail: `audit chain broken at event #${result.brokenAt} (${result.why}); ${result.checked} events before it verify`,
        })
      }
      ctx.io.out(`audit chain intact: ${result.checked} events verified`)
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'audit needs a subcommand' : `unknown audit subcommand "${sub}"`)
  }
}
