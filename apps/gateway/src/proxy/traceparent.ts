import { randomUUID } from 'node:crypto'

// W3C Trace Context: version-traceid-parentid-flags; version ff is invalid, a future version may
// append fields after a dash, version 00 may not.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_PARENT = '0'.repeat(16)

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value)
  if (m === null) return false
  const [, version, traceId, parentId, , extra] = m
  if (version === 'ff' || traceId === ZERO_TRACE || parentId === ZERO_PARENT) return false
  return version !== '00' || extra === undefined
}

/**
 * A new root: random trace and parent ids, not sampled (the gateway records no spans itself).
 * From randomUUID, which node serves from a pre-filled pool: a synchronous randomBytes call per
 * request showed in the profile. (A v4 UUID has 122 random bits and is never all zeros.)
 */
export function newTraceparent(): string {
  const trace = randomUUID().replaceAll('-', '')
  const p = randomUUID()
  const parent = p.slice(0, 8) + p.slice(24, 32)
  return `00-${trace}-${parent}-00`
}
