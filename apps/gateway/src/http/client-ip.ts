import { BlockList, isIP } from 'node:net'
import { ConfigError } from '../errors.js'

/**
 * GATEHOUSE_TRUSTED_PROXIES: addresses or CIDRs (`10.0.0.0/8,::1`) of the proxies in front of
 * the gateway. Only when the socket's peer is one of them is X-Forwarded-For believed, and then
 * the client is the rightmost address that is not itself a trusted proxy: everything left of it
 * could have been written by the client.
 */
export function parseTrustedProxies(value: string, variable = 'GATEHOUSE_TRUSTED_PROXIES'): BlockList {
  const list = new BlockList()
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix] = entry.split('/') as [string, string | undefined]
    const family = isIP(address)
    if (family === 0) throw new ConfigError(variable, `"${entry}" is not an IP address or CIDR`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) {
      list.addAddress(address, type)
    } else {
      const bits = Number(prefix)
      if (!/^\d{1,3}$/.test(prefix) || bits > (family === 6 ? 128 : 32)) throw new ConfigError(variable, `"${entry}" has a bad prefix length`)
      list.addSubnet(address, bits, type)
    }
  }
  return list
}

function normalize(address: string): string {
  // IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d.
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address)
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4')
}

/** Whether the socket's peer is one of the trusted proxies (never, when none are configured). */
export function isTrustedPeer(peer: string | undefined, proxies: BlockList): boolean {
  return peer !== undefined && trusted(proxies, normalize(peer))
}

export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, proxies: BlockList): string {
  if (peer === undefined) return 'unknown'
  const socket = normalize(peer)
  if (forwardedFor === undefined || !trusted(proxies, socket)) return socket
  const hops = forwardedFor.split(',').map((h) => normalize(h.trim())).filter((h) => isIP(h) !== 0)
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted(proxies, hops[i]!)) return hops[i]!
  }
  return hops[0] ?? socket
}
