export const STORE_ERROR_CODES = {
  conflict: 'ERR_STORE_CONFLICT',
  notFound: 'ERR_STORE_NOT_FOUND',
  unavailable: 'ERR_STORE_UNAVAILABLE',
  badUrl: 'ERR_STORE_BAD_URL',
  migration: 'ERR_STORE_MIGRATION',
  /** Sealed personal data that does not open: another master key, or a value moved or edited. */
  unreadable: 'ERR_STORE_UNREADABLE',
} as const
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[keyof typeof STORE_ERROR_CODES]

/** The one error base of the store packages; callers branch on `code`, never on the message. */
export class StoreError extends Error {
  readonly code: StoreErrorCode
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreError'
    this.code = code
  }
}
