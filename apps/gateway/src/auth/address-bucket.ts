import { isIP } from 'node:net'

/** The 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted IPv4 folded in). */
function groups(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * The bucket a client address is counted in: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber's network: its owner can pick any of 2^64 addresses in it, so counting single
 * addresses would count nothing).
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address
  const g = groups(address)
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`
}
