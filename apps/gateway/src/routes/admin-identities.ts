import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Store } from '@gatehouse/store'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { readJson } from '../http/json-body.js'
import { identityView, type IdentityAdmin } from '../oidc/identity-admin.js'
import type { Actor } from '../users/user-admin.js'

export const LinkBody = z.object({ provider: z.string().min(1).max(32), subject: z.string().min(1).max(255) })

function actorOf(c: Context<AppEnv>): Actor {
  return { actor: `admin:${c.get('auth')!.user.id}`, clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? null }
}

/** A user's linked identities (section 7); mounted at /admin behind requireRole('admin'). */
export function adminIdentityRoutes({ store, identities }: { store: Store; identities: IdentityAdmin }) {
  const app = new Hono<AppEnv>()
  async function target(id: string) {
    const user = await store.findUserById(id)
    if (user === null) throw new GatewayError('ERR_NOT_FOUND', { detail: 'no such user' })
    return user
  }

  app.get('/users/:id/identities', async (c) => {
    const user = await target(c.req.param('id'))
    return c.json({ identities: (await identities.list(user.id)).map(identityView) })
  })

  app.post('/users/:id/identities', async (c) => {
    const user = await target(c.req.param('id'))
    const body = await readJson(c, LinkBody)
    return c.json({ identity: identityView(await identities.link(user.id, body.provider, body.subject, actorOf(c))) }, 201)
  })

  app.delete('/users/:id/identities/:provider/:subject', async (c) => {
    const user = await target(c.req.param('id'))
    await identities.unlink(user.id, c.req.param('provider'), c.req.param('subject'), actorOf(c))
    return c.body(null, 204)
  })

  return app
}
