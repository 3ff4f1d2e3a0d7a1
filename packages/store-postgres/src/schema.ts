import { sql } from 'drizzle-orm'
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

// Mirrors packages/store-sqlite/src/schema.ts. Times are epoch milliseconds in bigint columns,
// read back as JS numbers (mode 'number': exact up to 2^53, far beyond any date we store), so
// the injected clock's numbers go in and out unchanged in both stores.
const millis = (name: string) => bigint(name, { mode: 'number' })

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    roles: jsonb('roles').$type<string[]>().notNull(),
    suspendedAt: millis('suspended_at'),
    passwordChangedAt: millis('password_changed_at').notNull(),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_username_uq').on(t.username)],
)

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    credentialHash: text('credential_hash').notNull(),
    /**
     * Superseded by previous_credentials; still written (the newest predecessor) so that a
     * gateway of the previous release, during a rolling upgrade, keeps honouring the grace.
     */
    previousCredentialHash: text('previous_credential_hash'),
    /** JSON `[{hash, rotatedAt}]`, newest first (see decodePreviousCredentials). */
    previousCredentials: text('previous_credentials').notNull().default('[]'),
    credentialRotatedAt: millis('credential_rotated_at').notNull(),
    deviceName: text('device_name').notNull(),
    userAgent: text('user_agent').notNull(),
    clientIp: text('client_ip').notNull(),
    /** Keyed hashes for the anomaly check (user agent family, client network); see the README. */
    uaFamilyHash: text('ua_family_hash'),
    networkHash: text('network_hash'),
    createdAt: millis('created_at').notNull(),
    lastSeenAt: millis('last_seen_at').notNull(),
    idleExpiresAt: millis('idle_expires_at').notNull(),
    absoluteExpiresAt: millis('absolute_expires_at').notNull(),
    revokedAt: millis('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.revokedAt),
    index('sessions_idle_idx').on(t.idleExpiresAt),
    index('sessions_absolute_idx').on(t.absoluteExpiresAt),
  ],
)

/**
 * Server-side refresh tokens: one chain per session, stored only as SHA-256 hashes. A consumed
 * token keeps its row so that presenting it again is recognised as reuse. One token per
 * (session, generation) is what stops two racing renewals from both storing a successor.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    generation: integer('generation').notNull().default(0),
    createdAt: millis('created_at').notNull(),
    consumedAt: millis('consumed_at'),
    replacedBy: text('replaced_by'),
  },
  (t) => [uniqueIndex('refresh_tokens_session_generation_uq').on(t.sessionId, t.generation)],
)

/**
 * Append-only; a trigger in the migrations refuses DELETE, and UPDATE of anything but the
 * personal fields (retention erases them). `seq` is assigned by the
 * store under a lock (not a sequence), because the chain needs it gapless and a sequence skips
 * numbers on every rolled-back insert.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    type: text('type').notNull(),
    at: millis('at').notNull(),
    userId: text('user_id'),
    sessionId: text('session_id'),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    deviceName: text('device_name'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_user_idx').on(t.userId, t.seq),
    index('audit_type_idx').on(t.type, t.seq),
    index('audit_at_idx').on(t.at),
  ],
)

/** Signing keys; the private half is encrypted with a key derived from GATEHOUSE_MASTER_KEY. */
export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    /** Insertion order, the tie-break among keys created in the same millisecond (SQLite's rowid). */
    ordinal: bigint('ordinal', { mode: 'number' }).generatedAlwaysAsIdentity(),
    alg: text('alg').notNull(),
    publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
    privateKeyEnc: text('private_key_enc').notNull(),
    createdAt: millis('created_at').notNull(),
    /** Set when a newer key took over signing. */
    retiredAt: millis('retired_at'),
    /** Not published after this time (retiredAt + the longest token lifetime; or at once in an emergency). */
    publishUntil: millis('publish_until'),
  },
  // At most one current key, whatever any writer does: every unretired row indexes the same value.
  (t) => [uniqueIndex('signing_keys_one_current_uq').on(sql`(${t.retiredAt} is null)`).where(sql`${t.retiredAt} is null`)],
)

/** Login attempt counters (per account and address, per address, per account), shared by every gateway. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: millis('window_start').notNull(),
  failures: integer('failures').notNull(),
  lockouts: integer('lockouts').notNull(),
  lockedUntil: millis('locked_until'),
  /** 1 once the current lockout has refused an attempt (that one is audited; the rest only counted in metrics). */
  refused: integer('refused').notNull().default(0),
  updatedAt: millis('updated_at').notNull(),
})

/** A local user's accounts at identity providers, by (issuer, subject). */
export const identities = pgTable(
  'identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    createdAt: millis('created_at').notNull(),
    lastLoginAt: millis('last_login_at'),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index('identities_user_idx').on(t.userId)],
)

/** OpenID Connect logins in flight, by SHA-256 of `state`; taken once. */
export const oidcTransactions = pgTable(
  'oidc_transactions',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    browserHash: text('browser_hash').notNull(),
    dataEnc: text('data_enc').notNull(),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
  },
  (t) => [index('oidc_transactions_expires_idx').on(t.expiresAt)],
)

/** The IdP's tokens of a session from an IdP login, encrypted; `version` is the refresh compare-and-set. */
export const idpSessions = pgTable(
  'idp_sessions',
  {
    sessionId: text('session_id')
      .primaryKey()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    idpSid: text('idp_sid'),
    tokensEnc: text('tokens_enc').notNull(),
    accessExpiresAt: millis('access_expires_at'),
    version: integer('version').notNull(),
    /** While set and in the future, one gateway is refreshing these tokens; the others wait for it. */
    refreshLeaseUntil: millis('refresh_lease_until'),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [index('idp_sessions_sid_idx').on(t.issuer, t.idpSid), index('idp_sessions_subject_idx').on(t.issuer, t.subject)],
)

/** Ids of back-channel logout tokens already used (hashed), kept until they could no longer be replayed. */
export const logoutTokenIds = pgTable(
  'logout_token_ids',
  {
    key: text('key').primaryKey(),
    expiresAt: millis('expires_at').notNull(),
  },
  (t) => [index('logout_token_ids_expires_idx').on(t.expiresAt)],
)

/**
 * The public revocation feed (see packages/store-sqlite/src/schema.ts). The trigger that fills
 * it takes an advisory lock before the identity value is drawn, so `seq` order is commit order:
 * a reader that sees seq n has seen everything below it, and a cursor never skips a row.
 */
export const revocationFeed = pgTable(
  'revocation_feed',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    sessionId: text('session_id').notNull(),
    endedAt: millis('ended_at').notNull(),
  },
  (t) => [index('revocation_feed_ended_idx').on(t.endedAt)],
)

/**
 * Who may serve sessions from memory (see session-cache.ts): one row per store process that
 * caches, renewed every third of its lease by that process, with the expiry set by the DATABASE
 * clock so that every process reads the same time. A write that ends or changes a session waits
 * until every gateway holding an unexpired lease confirmed it dropped what it cached (or until
 * that lease ran out). The SQLite store has no such table: all its writers share one file, whose
 * `PRAGMA data_version` tells every reader of a change before its next lookup.
 */
export const gatewayLeases = pgTable('gateway_leases', {
  gatewayId: text('gateway_id').primaryKey(),
  acquiredAt: timestamp('acquired_at', { withTimezone: true }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
})
