import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** How long a connection may take, and how many may be open at once (GATEHOUSE_* variables). */
export interface ConnectionLimits {
  /** Milliseconds to receive a request's complete headers (slow-header clients are cut). */
  headersTimeoutMs: number
  /** Milliseconds to receive a whole request, body included; 0 for no limit. */
  requestTimeoutMs: number
  /** Milliseconds an idle kept-alive connection is held open between requests. */
  keepAliveTimeoutMs: number
  /** Open client connections at most; those beyond are closed as they arrive. */
  maxConnections: number
}

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * The first time the request's body is read, and not before, the client is told to send it.
 * Node would answer `100 Continue` on arrival, before the app checked the session or the origin;
 * so a client is only invited to upload once the gateway has decided to read what it sends
 * (a refusal is answered with the final status and the body is never asked for).
 */
function continueOnRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read
  req._read = function (size: number) {
    req._read = read
    if (!res.headersSent && !res.writableEnded) res.writeContinue()
    return read.call(this, size)
  }
}

/**
 * The node:http server the gateway listens with. Header and request timeouts are checked every
 * quarter of the header timeout (at most every second), so a slowloris connection is cut close
 * to its deadline rather than up to node's default 30 s later.
 */
export function createNodeServer(listener: Listener, limits: ConnectionLimits): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    listener,
  )
  server.maxConnections = limits.maxConnections
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnRead(req, res)
    listener(req, res)
  })
  return server
}
