import type { PersonalDataCodec } from '@gatehouse/tokens'
import { userAgentFamily } from '../session/device-name.js'
import { clientNetwork } from './client-network.js'

export interface Fingerprinter {
  /** Keyed hash of the user agent's family (browser and OS). */
  uaFamilyHash(userAgent: string | null | undefined): string
  /** Keyed hash of the client's network (/24, /64). */
  networkHash(clientIp: string | null | undefined): string
}

/**
 * The keyed hashes a session records at login and every request is compared with. They run on
 * the hot path, so each distinct user agent string and address is parsed and hashed once and
 * then looked up (bounded: a full map is simply cleared).
 */
export function createFingerprinter(codec: Pick<PersonalDataCodec, 'keyedHash'>, max = 10_000): Fingerprinter {
  const memo = (compute: (value: string) => string) => {
    const seen = new Map<string, string>()
    return (value: string | null | undefined) => {
      const key = value ?? ''
      let hash = seen.get(key)
      if (hash === undefined) {
        hash = compute(key)
        if (seen.size >= max) seen.clear()
        seen.set(key, hash)
      }
      return hash
    }
  }
  return {
    uaFamilyHash: memo((ua) => codec.keyedHash('ua-family', userAgentFamily(ua))),
    networkHash: memo((ip) => codec.keyedHash('client-network', clientNetwork(ip))),
  }
}
