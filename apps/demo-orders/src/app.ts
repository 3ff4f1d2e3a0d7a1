import { verifiedHeader } from '@gatehouse/demo-service'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { GatehouseVerifier } from '@gatehouse/verify'
import { gatehouseAuth, INSUFFICIENT_ROLE_CODE, type GatehouseAuthVariables } from '@gatehouse/verify/hono'
import { createOrderBook, type OrderBook } from './order-book.js'

type Env = { Variables: GatehouseAuthVariables }

export interface OrdersAppOptions {
  /** Built with issuer = the gateway's public origin, audience "orders". */
  verifier: GatehouseVerifier
  book?: OrderBook
}

function problem(c: Context, status: 400 | 403 | 404, code: string, title: string) {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, code }), status, { 'content-type': 'application/problem+json' })
}

/** Role check on claims already verified by gatehouseAuth, answered like its own 403. */
const requireRole = (role: string) =>
  createMiddleware<Env>(async (c, next) => {
    if (!c.get('auth').roles.includes(role)) return problem(c, 403, INSUFFICIENT_ROLE_CODE, 'Forbidden')
    await next()
  })

/** The demo orders service: trusts nothing but a Gatehouse token for audience "orders". */
export function createOrdersApp({ verifier, book = createOrderBook() }: OrdersAppOptions) {
  const app = new Hono<Env>()
  app.notFound((c) => problem(c, 404, 'ERR_NOT_FOUND', 'Not Found'))
  app.use('*', gatehouseAuth({ verifier }))

  app.get('/orders', (c) => c.json({ orders: book.ordersOf(c.get('auth').sub) }))

  app.post('/orders', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { item?: unknown; quantity?: unknown } | null
    const item = body?.item
    const quantity = body?.quantity ?? 1
    if (typeof item !== 'string' || item.trim() === '' || item.length > 100 || !Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 100) {
      return problem(c, 400, 'ERR_BAD_REQUEST', 'Bad Request')
    }
    return c.json({ order: book.create(c.get('auth').sub, item.trim(), quantity as number) }, 201)
  })

  app.get('/orders/:id', (c) => {
    const order = book.find(c.req.param('id'))
    // Another user's order is as absent as one that does not exist.
    if (order === undefined || order.userId !== c.get('auth').sub) return problem(c, 404, 'ERR_NOT_FOUND', 'Not Found')
    return c.json({ order })
  })

  // What this service verified, side by side with what the browser holds (the demo's "under the
  // hood" view): the token's header fields and claims, never the token.
  app.get('/token', (c) => c.json({ service: 'orders', header: verifiedHeader(c.req.header('authorization')), claims: c.get('auth') }))

  app.get('/admin/orders', requireRole('admin'), (c) => c.json({ orders: book.all() }))
  return app
}
