export const TOKEN_ERROR_CODES = {
  /** GATEHOUSE_MASTER_KEY does not open what the store holds: a start-up error, never garbage keys. */
  masterKeyMismatch: 'ERR_MASTER_KEY_MISMATCH',
  /** A stored ciphertext or key that is not in a form this version writes. */
  keyCorrupt: 'ERR_KEY_CORRUPT',
  /** The store holds no current signing key (never initialised, or not reachable). */
  noSigningKey: 'ERR_NO_SIGNING_KEY',
  /** The token format needs another key type than the current signing key (PASETO v4.public: Ed25519). */
  keyAlgMismatch: 'ERR_KEY_ALG_MISMATCH',
  /** The session is revoked, expired or gone: it gets no new token. */
  sessionEnded: 'ERR_SESSION_ENDED',
  /** A consumed refresh token was presented outside the race window: the session was revoked. */
  refreshTokenReused: 'ERR_REFRESH_TOKEN_REUSED',
  /** Not a refresh token of this session's chain. */
  refreshTokenUnknown: 'ERR_REFRESH_TOKEN_UNKNOWN',
} as const
export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[keyof typeof TOKEN_ERROR_CODES]

/** The one error base of @gatehouse/tokens; callers branch on `code`, never on the message. */
export class TokenError extends Error {
  readonly code: TokenErrorCode
  constructor(code: TokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenError'
    this.code = code
  }
}
