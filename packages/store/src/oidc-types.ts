import type { Millis } from './types.js'

/** A local user's account at an identity provider: (issuer, subject) names it, for good. */
export interface LinkedIdentity {
  issuer: string
  subject: string
  userId: string
  /** The provider's name in the gateway's configuration, as it was when linked. */
  provider: string
  createdAt: Millis
  lastLoginAt: Millis | null
}

/**
 * One login in flight: created when the browser is sent to the IdP, taken (and deleted) once
 * when it comes back. Keyed by a hash of `state`; the PKCE verifier, nonce and return path are
 * kept encrypted.
 */
export interface OidcTransaction {
  /** SHA-256 (hex) of the `state` parameter. */
  id: string
  provider: string
  /** SHA-256 (hex) of the browser-binding cookie that started it. */
  browserHash: string
  /** Encrypted (master key) JSON: code verifier, nonce, return path. */
  dataEnc: string
  createdAt: Millis
  expiresAt: Millis
}

/** A Gatehouse session that came from an IdP login, with the IdP's tokens, encrypted. */
export interface IdpSessionRecord {
  sessionId: string
  provider: string
  issuer: string
  subject: string
  /** The IdP's own session id (`sid` of the ID token), for back-channel logout. */
  idpSid: string | null
  /** Encrypted (master key) JSON of the access, refresh and ID tokens. */
  tokensEnc: string
  /** When the access token expires; null when the IdP did not say. */
  accessExpiresAt: Millis | null
  /** One more with each refresh: the compare-and-set that keeps a rotated refresh token. */
  version: number
  /** While in the future, one gateway holds the right to refresh (see `leaseIdpRefresh`). */
  refreshLeaseUntil: Millis | null
  updatedAt: Millis
}

export interface IdpRefreshLease {
  expectedVersion: number
  /** The lease ends then, should its holder never finish. */
  until: Millis
  now: Millis
}

export interface IdpTokenUpdate {
  /** The version the caller read; the update happens only if it is still the stored one. */
  expectedVersion: number
  tokensEnc: string
  accessExpiresAt: Millis | null
  now: Millis
}

/** Which IdP sessions a back-channel logout token names: its issuer and `sid` and/or `sub`. */
export interface IdpSessionMatch {
  issuer: string
  idpSid?: string
  subject?: string
}
