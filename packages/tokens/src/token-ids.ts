import { randomFillSync } from 'node:crypto'

const ID_BYTES = 16
const IDS_PER_FILL = 256

/**
 * Token ids (`jti`): 16 bytes from the CSPRNG, base64url (22 characters). The bytes are drawn
 * 256 ids' worth at a time (as node's own randomUUID does) and each used once: one CSPRNG call
 * per 256 mints instead of one each, which cost more than the id's own encoding. No byte of the
 * pool is handed out twice; it is refilled when used up.
 */
export function createTokenIdSource(): () => string {
  const pool = Buffer.alloc(ID_BYTES * IDS_PER_FILL)
  let next = pool.length
  return () => {
    if (next === pool.length) {
      randomFillSync(pool)
      next = 0
    }
    const id = pool.toString('base64url', next, next + ID_BYTES)
    next += ID_BYTES
    return id
  }
}
