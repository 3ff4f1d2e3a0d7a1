import { parseArgs } from 'node:util'
import { passwordFromStdin, UsageError, type CliContext } from '../io.js'

export const USER_USAGE = [
  'user create <username> --password-stdin [--role R]...',
  'user set-roles <username> R...',
  'user set-password <username> --password-stdin',
  'user suspend <username>',
  'user unsuspend <username>',
  'user delete <username>',
]

export async function userCommand(args: string[], ctx: CliContext): Promise<void> {
  const [sub, ...rest] = args
  const { users } = ctx.core
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { 'password-stdin': { type: 'boolean' }, role: { type: 'string', multiple: true } },
      })
      const [username, ...extra] = positionals
      if (username === undefined || extra.length > 0) throw new UsageError('user create takes one username')
      if (!values['password-stdin']) throw new UsageError('user create needs --password-stdin')
      const password = await passwordFromStdin(ctx.io)
      const user = await users.create({ username, password, roles: values.role ?? [] }, ctx.actor)
      ctx.io.out(`created user ${user.username} (${user.id}) with roles [${user.roles.join(', ')}]`)
      return
    }
    case 'set-roles': {
      const [username, ...roles] = rest
      if (username === undefined) throw new UsageError('user set-roles takes a username and the roles')
      const user = await users.setRoles((await users.findByUsername(username)).id, roles, ctx.actor)
      ctx.io.out(`${user.username} now has roles [${user.roles.join(', ')}]; their sessions were revoked`)
      return
    }
    case 'set-password': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'password-stdin': { type: 'boolean' } } })
      const [username, ...extra] = positionals
      if (username === undefined || extra.length > 0) throw new UsageError('user set-password takes one username')
      if (!values['password-stdin']) throw new UsageError('user set-password needs --password-stdin')
      const password = await passwordFromStdin(ctx.io)
      const user = await users.findByUsername(username)
      await users.setPassword(user.id, password, ctx.actor)
      ctx.io.out(`password of ${user.username} changed; their sessions were revoked`)
      return
    }
    case 'suspend':
    case 'unsuspend': {
      const [username, ...extra] = rest
      if (username === undefined || extra.length > 0) throw new UsageError(`user ${sub} takes one username`)
      const user = await users.findByUsername(username)
      if (sub === 'suspend') {
        await users.suspend(user.id, ctx.actor)
        ctx.io.out(`${user.username} is suspended; their sessions were revoked`)
      } else {
        await users.unsuspend(user.id, ctx.actor)
        ctx.io.out(`${user.username} is no longer suspended`)
      }
      return
    }
    case 'delete': {
      const [username, ...extra] = rest
      if (username === undefined || extra.length > 0) throw new UsageError('user delete takes one username')
      const user = await users.findByUsername(username)
      await users.delete(user.id, ctx.actor)
      ctx.io.out(`deleted ${user.username}; their sessions were revoked`)
      return
    }
    default:
      throw new UsageError(sub === undefined ? 'user needs a subcommand' : `unknown user subcommand "${sub}"`)
  }
}
