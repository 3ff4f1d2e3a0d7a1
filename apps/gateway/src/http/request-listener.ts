import type { IncomingMessage, ServerResponse } from 'node:http'
import { getRequestListener, RequestError } from '@hono/node-server'
import { withDirectResponses } from '../proxy/index.js'
import { problemResponse } from './problem.js'

type Fetch = (request: Request, env: unknown) => Response | Promise<Response>

/**
 * The node:http listener for the app. Targets the adapter itself refuses before the app runs (a
 * backslash in the path, a bad Host) get the same problem+json 400 as the app's own refusals, and
 * proxied bodies are piped socket to socket.
 */
export function createRequestListener(fetch: Fetch, hostname: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener(withDirectResponses(fetch), {
    hostname,
    errorHandler: (error) =>
      error instanceof RequestError
        ? problemResponse('ERR_BAD_REQUEST', { detail: 'the request target is malformed' })
        : problemResponse('ERR_INTERNAL'),
  })
}
