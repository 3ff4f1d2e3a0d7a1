import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { GatewayError } from '../errors.js'

export interface UpstreamClientOptions {
  /** Open connections to this upstream at most; further requests queue. Default: no limit. */
  maxSockets?: number
  /** Idle keep-alive connections kept open. Default 256. */
  maxFreeSockets?: number
}

export interface UpstreamRequest {
  method: string
  /** Path and query relative to the upstream's base URL, starting with "/", sent as is. */
  path: string
  headers: OutgoingHttpHeaders
  /** Streamed to the upstream with backpressure; null for a request without a body. */
  body: Readable | null
  /**
   * 504 when this long passes with neither a request byte forwarded nor the response headers
   * received. Counting from the last forwarded byte lets a slow 1 GB upload through while an
   * upstream that stops reading, or never answers, still times out.
   */
  timeoutMs: number
  /** Aborting it (the client went away) destroys the upstream request, before or after its answer. */
  signal?: AbortSignal
  /**
   * The same for a node server, without an AbortSignal (whose machinery costs more than the rest
   * of a small proxied request): the client's response stream; its 'close' before the upstream
   * has answered destroys the upstream request. After the answer, piping it on handles a close.
   */
  client?: { once(event: 'close', listener: () => void): unknown; off(event: 'close', listener: () => void): unknown }
}

/** The client went away before the upstream answered. */
export class ClientGoneError extends Error {
  readonly code = 'ERR_CLIENT_GONE'
}

export interface UpstreamClient {
  /** The base URL, without a trailing slash. */
  readonly url: string
  /**
   * Sends one request; resolves with the upstream's response once its headers arrive, its body
   * not yet read (the caller streams it on). Rejects with GatewayError ERR_UPSTREAM_UNREACHABLE
   * or ERR_UPSTREAM_TIMEOUT, with the body's own error when the request body fails (a
   * GatewayError such as ERR_PAYLOAD_TOO_LARGE passes through), or with the signal's reason.
   */
  send(request: UpstreamRequest): Promise<IncomingMessage>
  /** Closes the kept-alive connections. */
  close(): void
}

// A request on a kept-alive connection that the upstream closed just before (its idle timeout)
// fails with ECONNRESET before any byte of an answer; one without a body is safe to send again.
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError
}

/**
 * A node:http(s) client for one upstream with its own keep-alive agent: no fetch, no web
 * streams on the request side, sockets reused across requests. Reusable on its own (the bench
 * builds a bare proxy on it).
 */
export function createUpstreamClient(baseUrl: string, options: UpstreamClientOptions = {}): UpstreamClient {
  const url = new URL(baseUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`upstream URL must be http or https: ${baseUrl}`)
  const secure = url.protocol === 'https:'
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? Infinity,
    maxFreeSockets: options.maxFreeSockets ?? 256,
    // The most recently used socket is the least likely to have been closed by the upstream.
    scheduling: 'lifo' as const,
  }
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions)
  const request = secure ? https.request : http.request
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port)
  const basePath = url.pathname.replace(/\/+$/, '')

  function attempt(req: UpstreamRequest, retriesLeft: number): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      let settled = false
      const outgoing = request({
        agent,
        hostname,
        port,
        method: req.method,
        path: basePath + req.path,
        headers: req.headers,
        ...(req.signal === undefined ? {} : { signal: req.signal }),
      })

      const timer = setTimeout(() => {
        outgoing.destroy(new GatewayError('ERR_UPSTREAM_TIMEOUT'))
      }, req.timeoutMs)
      const progress = () => timer.refresh()
      let bodyError: Error | undefined
      // Never removed: an upload that fails after an early answer still ends the request, and a
      // body stream failing with no listener would take the process down.
      const onBodyError = (error: Error) => {
        bodyError = error
        outgoing.destroy(error)
      }
      const onClientClose = () => {
        if (!settled) outgoing.destroy(new ClientGoneError('the client closed the connection'))
      }
      req.client?.once('close', onClientClose)
      const settle = () => {
        settled = true
        clearTimeout(timer)
        req.body?.off('data', progress)
        req.client?.off('close', onClientClose)
      }

      outgoing.once('response', (res) => {
        settle()
        resolve(res)
      })
      // A 101 to a request that asked for no upgrade: node hands over the raw socket (or, with
      // no listener, drops it without a word). The gateway proxies no upgrades: it is a bad answer.
      outgoing.once('upgrade', (_res: IncomingMessage, socket: { destroy(): void }) => {
        socket.destroy()
        if (settled) return
        settle()
        reject(new GatewayError('ERR_UPSTREAM_UNREACHABLE', { detail: 'the upstream switched protocols unasked' }))
      })
      outgoing.on('error', (error: Error & { code?: string }) => {
        if (settled) return
        settle()
        if (req.signal?.aborted) return reject(req.signal.reason)
        if (isGatewayError(error) || error === bodyError || error instanceof ClientGoneError) return reject(error)
        if (error.code === 'ECONNRESET' && outgoing.reusedSocket && req.body === null && retriesLeft > 0 && RETRYABLE_METHODS.has(req.method)) {
          return resolve(attempt(req, retriesLeft - 1))
        }
        reject(new GatewayError('ERR_UPSTREAM_UNREACHABLE', { cause: error }))
      })

      if (req.body === null) {
        outgoing.end()
      } else {
        req.body.on('data', progress).on('error', onBodyError)
        req.body.pipe(outgoing)
      }
    })
  }

  return {
    url: url.href.replace(/\/+$/, ''),
    send: (req) => attempt(req, 1),
    close: () => agent.destroy(),
  }
}
