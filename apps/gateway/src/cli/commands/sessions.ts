import { parseArgs } from 'node:util'
import { GatewayError } from '../../errors.js'
import { UsageError, type CliContext } from '../io.js'

export const SESSIONS_USAGE = ['sessions list <username>', 'sessions revoke <username> [--session=ID]']

const iso = (ms: number) => new Date(ms).toISOString()

export async function sessionsCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { session: { type: 'string' } } })
  const [username, ...extra] = positionals
  if (username === undefined || extra.length > 0) throw new UsageError(`sessions ${sub ?? ''} takes one username`)
  const user = await ctx.core.users.findByUsername(username)
  const now = ctx.clock.now()
  switch (sub) {
    case 'list': {
      if (values.session !== undefined) throw new UsageError('sessions list takes no --session')
      const live = await ctx.store.listActiveSessions(user.id, now)
      if (live.length === 0) ctx.io.out(`${user.username} has no active sessions`)
      for (const s of live) {
        ctx.io.out(`${s.id}  ${s.deviceName}  created ${iso(s.createdAt)}  last seen ${iso(s.lastSeenAt)}  from ${s.clientIp}`)
      }
      return
    }
    case 'revoke': {
      const { actor: _, ...origin } = ctx.actor
      if (values.session === undefined) {
        const ids = await ctx.core.sessions.revokeAllOfUser(user.id, 'admin_revoked', origin)
        ctx.io.out(`revoked ${ids.length} session(s) of ${user.username}`)
        return
      }
      const session = await ctx.store.findSession(values.session)
      if (session === null || session.userId !== user.id || session.revokedAt !== null) {
        throw new GatewayError('ERR_NOT_FOUND', { detail: `${user.username} has no live session ${values.session}` })
      }
      await ctx.core.sessions.revoke(session.id, 'admin_revoked', { userId: user.id, ...origin })
      ctx.io.out(`revoked session ${session.id} (${session.deviceName}) of ${user.username}`)
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'sessions needs a subcommand' : `unknown sessions subcommand "${sub}"`)
  }
}
