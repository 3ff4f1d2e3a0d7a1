import type {
  AuditEvent,
  AuditEventInput,
  AuditFilter,
  CredentialRotation,
  KeyRetirement,
  Millis,
  NewUser,
  RefreshChainStart,
  RefreshChainStartResult,
  RefreshTokenRecord,
  RefreshTokenRenewal,
  RefreshTokenRenewalResult,
  RevocationPage,
  RevocationQuery,
  RevocationReason,
  Session,
  SessionState,
  SessionFingerprint,
  SigningKeyRecord,
  User,
  UserPatch,
} from './types.js'
import type { IdpRefreshLease, IdpSessionMatch, IdpSessionRecord, IdpTokenUpdate, LinkedIdentity, OidcTransaction } from './oidc-types.js'
import type { RateLimitStore } from './rate-limit.js'
import type { RevocationFeed } from './revocation-feed.js'

export interface UserStore {
  /** Throws StoreError ERR_STORE_CONFLICT when the username is taken. */
  createUser(user: NewUser): Promise<User>
  findUserById(id: string): Promise<User | null>
  findUserByUsername(username: string): Promise<User | null>
  /** Returns the updated user, or null when there is none with that id. */
  updateUser(id: string, patch: UserPatch, now: Millis): Promise<User | null>
  /** Deletes the user; its sessions go with it. Returns false when there was none. */
  deleteUser(id: string): Promise<boolean>
  listUsers(): Promise<User[]>
}

export interface SessionStore {
  createSession(session: Session): Promise<void>
  findSession(id: string): Promise<Session | null>
  /**
   * The session and its user in one round trip: the lookup on every authenticated request. A
   * store may answer from a cache that is never more permissive than the database (an ended or
   * changed session is dropped before the write that did it returns), but may lag in the strict
   * direction (another gateway's rotation or touch); `fresh` reads the database itself, for a
   * caller about to refuse or write on what it read. The objects returned must not be changed.
   * The session comes without its personal fields (SessionState): `findSession` has them.
   */
  findSessionWithUser(id: string, options?: { fresh?: boolean }): Promise<{ session: SessionState; user: User } | null>
  /** Records activity: last seen and the slid idle expiry. No-op on a revoked session. */
  touchSession(id: string, lastSeenAt: Millis, idleExpiresAt: Millis): Promise<void>
  /**
   * Compare-and-set: replaces the credential only if `expectedHash` is still current and the
   * session is live, keeping the old one as the predecessor. False when another request won.
   */
  rotateSessionCredential(id: string, rotation: CredentialRotation): Promise<boolean>
  /** Revokes one live session. Returns it as revoked, or null if it was unknown or already ended. */
  revokeSession(id: string, reason: RevocationReason, now: Millis): Promise<Session | null>
  /** Revokes every live session of a user (but `exceptSessionId`); returns the revoked ids. */
  revokeUserSessions(
    userId: string,
    reason: RevocationReason,
    now: Millis,
    options?: { exceptSessionId?: string },
  ): Promise<string[]>
  /**
   * Replaces the anomaly baseline of a live session (after a flagged change, the new user agent
   * family or network is what later requests are compared with). No-op on an ended session.
   */
  setSessionFingerprint(id: string, fingerprint: SessionFingerprint): Promise<void>
  /** How many sessions are live at `now` (for the active-sessions gauge). */
  countActiveSessions(now: Millis): Promise<number>
  /** Live sessions (not revoked, not expired at `now`), most recently seen first. */
  listActiveSessions(userId: string, now: Millis): Promise<Session[]>
  /**
   * Marks every session that has passed its idle or absolute expiry but is not yet revoked as
   * revoked with reason 'expired', and returns those sessions (for the audit trail).
   */
  expireSessions(now: Millis): Promise<Session[]>
  /**
   * Deletes sessions that expired or were revoked before `olderThan`; returns how many.
   */
  deleteEndedSessions(olderThan: Millis): Promise<number>
}

export interface AuditStore {
  /** Appends one event, chained to the previous one by hash, atomically. */
  appendAudit(event: AuditEventInput): Promise<AuditEvent>
  /** Newest first. */
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>
  /** Oldest first, in pages, for walking the chain. */
  auditPage(afterSeq: number, limit: number): Promise<AuditEvent[]>
  /**
   * Retention: replaces the personal fields (client address, user agent, device name) of events
   * before `before` with the digests the chain hash covers (`erasedField`), so the values are gone
   * and the chain still verifies. Returns how many events it erased.
   */
  eraseAuditPersonalData(before: Millis): Promise<number>
}

export interface SigningKeyStore {
  /** Keys published at `now` (publishUntil null or after it), newest first; the current key is among them. */
  listPublishedSigningKeys(now: Millis): Promise<SigningKeyRecord[]>
  /**
   * Inserts the very first key: only if no key is current (unretired), atomically, so that of
   * several gateways starting at once exactly one key wins. False when one was there.
   */
  addFirstSigningKey(key: SigningKeyRecord): Promise<boolean>
  /**
   * One transaction: inserts `key` as the current key, retires whichever key was current
   * (`retiredAt = retire.at`) and caps every older key's publishUntil at `retire.publishUntil`.
   * Returns the kids it retired.
   */
  rotateSigningKey(key: SigningKeyRecord, retire: KeyRetirement): Promise<string[]>
  /** Deletes retired keys no longer published before `olderThan`; returns how many. */
  deleteUnpublishedSigningKeys(olderThan: Millis): Promise<number>
}

export interface RefreshTokenStore {
  /**
   * Starts a session's chain with its generation-0 token, only if the session is live at `now`
   * and has no token yet (of racing starters one inserts). True when this call inserted it.
   * (Tools and tests only: the gateway starts a chain with startRenewedRefreshChain; the two must
   * not race on one session, so no gateway version that starts chains with this one should share
   * a store with one that starts them renewed.)
   */
  startRefreshChain(start: { sessionId: string; tokenHash: string; now: Millis }): Promise<boolean>
  /**
   * A session's first renewal on a process, in one atomic step (SQLite: one immediate
   * transaction of prepared statements; Postgres: one statement): if the session is live at
   * `now` and has no token yet, stores its generation-0 token already consumed at `now` and
   * replaced by its generation-1 successor, and answers `started` (of racing starters exactly one
   * does). Otherwise it stores nothing and answers the session's unconsumed token (as
   * findCurrentRefreshToken, read after any racing start committed), or null.
   */
  startRenewedRefreshChain(start: RefreshChainStart): Promise<RefreshChainStartResult>
  /** The session's unconsumed token, or null. */
  findCurrentRefreshToken(sessionId: string): Promise<RefreshTokenRecord | null>
  /**
   * Compare-and-set, atomically: if the session is live and the presented token is unconsumed,
   * marks it consumed (replacedBy = successor) and inserts the successor. Of N concurrent
   * renewals presenting the same token exactly one is 'renewed'; the others see 'consumed'.
   * With `prune`, the same atomic step deletes the session's old consumed tokens (see
   * RefreshTokenPruning); a successful steady renewal is one statement (Postgres) or one
   * short immediate transaction of prepared statements (SQLite).
   */
  renewRefreshToken(renewal: RefreshTokenRenewal): Promise<RefreshTokenRenewalResult>
  /** Deletes tokens consumed before `olderThan` (past any reuse window); returns how many. */
  deleteConsumedRefreshTokens(olderThan: Millis): Promise<number>
}

/** OpenID Connect logins: transactions in flight, linked identities, the IdP's tokens per session. */
export interface OidcStore {
  createOidcTransaction(transaction: OidcTransaction): Promise<void>
  /** Deletes the transaction and returns it if it had not expired at `now`; of racing takers one gets it. */
  takeOidcTransaction(id: string, now: Millis): Promise<OidcTransaction | null>
  findIdentity(issuer: string, subject: string): Promise<LinkedIdentity | null>
  /** Throws StoreError ERR_STORE_CONFLICT when (issuer, subject) is linked already. */
  linkIdentity(identity: LinkedIdentity): Promise<void>
  touchIdentity(issuer: string, subject: string, now: Millis): Promise<void>
  /** Oldest first. */
  listIdentities(userId: string): Promise<LinkedIdentity[]>
  unlinkIdentity(userId: string, issuer: string, subject: string): Promise<boolean>
  saveIdpSession(record: IdpSessionRecord): Promise<void>
  findIdpSession(sessionId: string): Promise<IdpSessionRecord | null>
  /**
   * Compare-and-set, before calling the IdP: takes the right to refresh this session's tokens if
   * the version is still `expectedVersion`, the session is live and no other lease runs at `now`.
   * Of racing gateways one gets it, so a rotating refresh token is presented once, never twice.
   */
  leaseIdpRefresh(sessionId: string, lease: IdpRefreshLease): Promise<boolean>
  /** Gives a lease back after a refresh that failed without an answer (the IdP was unreachable). */
  releaseIdpRefresh(sessionId: string, expectedVersion: number): Promise<void>
  /**
   * Compare-and-set: stores the refreshed tokens, bumps the version and ends the lease only if `expectedVersion`
   * is still current and the session is live. False when another refresh (any gateway) won.
   */
  updateIdpTokens(sessionId: string, update: IdpTokenUpdate): Promise<boolean>
  /** Ids of the live sessions from this issuer that match the `sid` and/or `sub` given. */
  findIdpSessionIds(match: IdpSessionMatch, now: Millis): Promise<string[]>
  /** Remembers a logout token's id until `expiresAt`; false when it was seen before (a replay). */
  recordLogoutTokenId(key: string, expiresAt: Millis): Promise<boolean>
  /** Deletes transactions and logout-token ids past their expiry; returns how many. */
  deleteExpiredOidcRecords(now: Millis): Promise<number>
}

/** The public revocation feed; the store fills it by itself when a session ends. */
export interface RevocationFeedStore {
  listRevocations(query: RevocationQuery): Promise<RevocationPage>
  /** Deletes entries whose session ended before `endedBefore`; returns how many. */
  deleteRevocations(endedBefore: Millis): Promise<number>
}

export interface StoreLifecycle {
  /** Cheap round trip, for readiness. Throws when the store cannot answer. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** What the gateway depends on; SQLite and Postgres implement it and share one conformance suite. */
export interface Store extends UserStore, SessionStore, AuditStore, SigningKeyStore, RefreshTokenStore, RateLimitStore, OidcStore, RevocationFeedStore, StoreLifecycle {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Present where several processes share the store (Postgres): tells this gateway about sessions
   * other gateways or the CLI ended, so in-memory caches drop them at once.
   */
  readonly revocations?: RevocationFeed
}
