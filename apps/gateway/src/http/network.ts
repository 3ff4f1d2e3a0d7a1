import { isIPv4, isIPv6 } from 'node:net'

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::') as [string, string | undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((h) => h.toLowerCase().replace(/^0+(?=.)/, ''))
}

/**
 * The network an address belongs to, as a person can compare it across devices: the /24 of an
 * IPv4 address, the /48 of an IPv6 one (a site), never the full address. Anything else (the
 * CLI's `cli`, an unknown address) is shown as it is.
 */
export function networkOf(address: string | null): string | null {
  if (address === null) return null
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  const v4 = mapped ?? address
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 3).join(':')}::/48`
  return address
}
