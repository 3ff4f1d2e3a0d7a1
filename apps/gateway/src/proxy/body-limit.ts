import { Transform, type Readable } from 'node:stream'
import { GatewayError } from '../errors.js'

/**
 * Passes a request body through while it stays within `limit` bytes; past it the stream fails
 * with ERR_PAYLOAD_TOO_LARGE, which aborts the upstream request. Only needed for bodies of
 * unknown length: a declared Content-Length is checked before anything is sent.
 */
export function limitBody(body: Readable, limit: number): Readable {
  let seen = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.byteLength
      if (seen > limit) callback(new GatewayError('ERR_PAYLOAD_TOO_LARGE', { detail: `this route accepts at most ${limit} bytes` }))
      else callback(null, chunk)
    },
  })
  body.on('error', (error) => counter.destroy(error))
  return body.pipe(counter)
}
