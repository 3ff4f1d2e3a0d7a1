import { createMasterKeyCipher, createPersonalDataCodec, type PersonalDataCodec } from '@gatehouse/tokens'

/** The codec that seals personal identifiers at rest, keyed from GATEHOUSE_MASTER_KEY. */
export function personalDataCodec(masterKey: string): PersonalDataCodec {
  return createPersonalDataCodec(createMasterKeyCipher(masterKey))
}

/**
 * The form a client address takes where only equality matters (rate-limit buckets): a keyed
 * hash, so the table holds no address and cannot be brute-forced back without the master key.
 */
export function clientAddressHasher(codec: Pick<PersonalDataCodec, 'keyedHash'>): (clientIp: string) => string {
  return (clientIp) => codec.keyedHash('client-address', clientIp)
}
