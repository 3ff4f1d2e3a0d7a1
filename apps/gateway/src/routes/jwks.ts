import { Hono } from 'hono'
import type { KeyManager } from '@gatehouse/tokens'
import type { AppEnv } from '../http/app-env.js'

/**
 * `/.well-known/jwks.json`: the public halves of every key still published. Caches may keep it a
 * minute; verifiers refetch on an unknown kid, and a rotated-out key stays published far longer
 * than that (see KeyManager.publishWindowMs).
 */
export function jwksRoutes(keys: Pick<KeyManager, 'jwks'>) {
  const app = new Hono<AppEnv>()
  app.get('/.well-known/jwks.json', async (c) => {
    const jwks = await keys.jwks()
    return c.json(jwks, 200, { 'cache-control': 'public, max-age=60' })
  })
  return app
}
