import { parseArgs } from 'node:util'
import { createIdentityAdmin, identityView } from '../../oidc/identity-admin.js'
import { UsageError, type CliContext } from '../io.js'

export const IDENTITIES_USAGE = [
  'identities list <username>',
  'identities link <username> --provider P --subject S',
  'identities unlink <username> --provider P --subject S',
]

export async function identitiesCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args
  const admin = createIdentityAdmin({ store: ctx.store, clock: ctx.clock, audit: ctx.core.audit, sessions: ctx.core.sessions, providers: ctx.config.providers })
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { provider: { type: 'string' }, subject: { type: 'string' } } })
  const [username, ...extra] = positionals
  if (username === undefined || extra.length > 0) throw new UsageError(`identities ${sub ?? ''} takes one username`.replace('  ', ' '))
  switch (sub) {
    case 'list': {
      const user = await ctx.core.users.findByUsername(username)
      const list = (await admin.list(user.id)).map(identityView)
      if (list.length === 0) ctx.io.out(`${user.username} has no linked identity`)
      for (const i of list) ctx.io.out(`${i.provider}\t${i.subject}\t${i.issuer}\tlinked ${i.createdAt}\tlast login ${i.lastLoginAt ?? 'never'}`)
      return
    }
    case 'link':
    case 'unlink': {
      if (values.provider === undefined || values.subject === undefined) throw new UsageError(`identities ${sub} needs --provider and --subject`)
      const user = await ctx.core.users.findByUsername(username)
      if (sub === 'link') {
        await admin.link(user.id, values.provider, values.subject, ctx.actor)
        ctx.io.out(`linked ${values.provider} subject ${values.subject} to ${user.username}`)
      } else {
        await admin.unlink(user.id, values.provider, values.subject, ctx.actor)
        ctx.io.out(`unlinked ${values.provider} subject ${values.subject} from ${user.username}; the sessions it started were revoked`)
      }
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'identities needs a subcommand' : `unknown identities subcommand "${sub}"`)
  }
}
