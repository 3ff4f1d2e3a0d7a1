export { createVerifier, type GatehouseVerifier } from './verifier.js'
export {
  GatehouseTokenError,
  TOKEN_ERROR_CODES,
  type GatehouseTokenErrorCode,
  type GatehouseTokenErrorOptions,
} from './errors.js'
export type { GatehouseClaims } from './claims.js'
export { SUPPORTED_ALGORITHMS, type GatehouseAlgorithm, type VerifierOptions } from './options.js'
