import { isIP } from 'node:net'

/**
 * The network a client address belongs to, as the anomaly check compares it: the /24 of an
 * IPv4 address, the /64 of an IPv6 one (a household's or an office's usual block), or the
 * address itself when it is no IP (the CLI's "cli", "unknown").
 */
export function clientNetwork(address: string): string {
  const family = isIP(address)
  if (family === 4) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`
  if (family === 6) return `${expandIpv6(address).slice(0, 4).join(':')}::/64`
  return address
}

/** The eight hextets of an IPv6 address, lower case without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::') as [string, string | undefined]
  const groups = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [g]
          // An IPv4 tail (64:ff9b::192.0.2.1) stands for the last two hextets.
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number)
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
        })
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16).toString(16))
}
