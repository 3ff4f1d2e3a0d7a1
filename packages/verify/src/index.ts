export { createVerifier, type GatehouseVerifier, type RevocationFeedHandle } from './verifier.js'
export type { RevocationStatus } from './revocation-follower.js'
export {
  GatehouseTokenError,
  TOKEN_ERROR_CODES,
  type GatehouseTokenErrorCode,
  type GatehouseTokenErrorOptions,
} from './errors.js'
export type { GatehouseClaims } from './claims.js'
export { SUPPORTED_ALGORITHMS, type GatehouseAlgorithm, type RevocationOptions, type VerifierOptions } from './options.js'
