import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'

export interface ListenAddress {
  host: string
  port: number
}

/** `host:port` or `[v6]:port` of the operations listener. */
export function parseOpsAddress(value: string | undefined): ListenAddress | undefined {
  if (value === undefined || value === '') return undefined
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value)
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3])
  if (m === null || host === undefined || !(port >= 0 && port <= 65_535)) {
    throw new ConfigError('GATEHOUSE_OPS_ADDRESS', `"${value}" is not host:port (like 127.0.0.1:9090 or [::1]:9090)`)
  }
  if (m[1] !== undefined && isIP(host) !== 6) throw new ConfigError('GATEHOUSE_OPS_ADDRESS', `"${host}" is not an IPv6 address`)
  return { host, port }
}
