import { randomUUID } from 'node:crypto'
import type { BlockList } from 'node:net'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/app-env.js'
import { isTrustedPeer } from '../http/client-ip.js'

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/

function socketPeer(env: unknown): string | undefined {
  return (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress
}

/**
 * Keeps an incoming X-Request-Id only when a trusted proxy (GATEHOUSE_TRUSTED_PROXIES) sent it
 * and it is well-formed (a load balancer's id, so its logs and ours line up); anything a client
 * chose is replaced by a fresh one, so no client can make its requests look like another's in
 * the logs or the upstreams'.
 */
export function requestId(trustedProxies: BlockList) {
  const choose = requestIdChooser(trustedProxies)
  return createMiddleware<AppEnv>(async (c, next) => {
    const id = choose(c.req.header('x-request-id'), socketPeer(c.env))
    c.set('requestId', id)
    await next()
    c.res.headers.set('x-request-id', id)
  })
}

/** The request's id from its X-Request-Id header and the socket's peer (see `requestId`). */
export function requestIdChooser(trustedProxies: BlockList): (header: string | undefined, peer: string | undefined) => string {
  const anyTrusted = trustedProxies.rules.length > 0
  return (header, peer) => {
    if (anyTrusted && header !== undefined && SAFE_ID.test(header) && isTrustedPeer(peer, trustedProxies)) return header
    return randomUUID()
  }
}
