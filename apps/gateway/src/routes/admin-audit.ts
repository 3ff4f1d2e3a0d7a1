import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditStore } from '@gatehouse/store'
import { GatewayError } from '../errors.js'
import type { AppEnv } from '../http/app-env.js'
import { auditView } from '../http/views.js'

/** `since` as an ISO time or epoch milliseconds. */
export function parseSince(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(ms)) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'since must be an ISO time or epoch milliseconds' })
  return ms
}

export const AuditQuery = z.object({
  userId: z.string().max(128).optional(),
  type: z.string().max(64).optional(),
  since: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
})

export function adminAuditRoutes(store: AuditStore) {
  const app = new Hono<AppEnv>()
  app.get('/audit', async (c) => {
    const q = AuditQuery.safeParse(c.req.query())
    if (!q.success) throw new GatewayError('ERR_BAD_REQUEST', { detail: 'userId, type, since (ISO or ms) and limit (1-1000)' })
    const { userId, type, since, limit } = q.data
    const events = await store.listAudit({
      ...(userId === undefined ? {} : { userId }),
      ...(type === undefined ? {} : { type }),
      ...(parseSince(since) === undefined ? {} : { since: parseSince(since)! }),
      limit: limit ?? 100,
    })
    return c.json({ events: events.map(auditView) })
  })
  return app
}
