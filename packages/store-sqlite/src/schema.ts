import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// Times are epoch milliseconds in plain integers: one representation across SQLite and Postgres,
// and the injected clock's numbers go in and out unchanged.

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    roles: text('roles', { mode: 'json' }).$type<string[]>().notNull(),
    suspendedAt: integer('suspended_at'),
    passwordChangedAt: integer('password_changed_at').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_username_uq').on(t.username)],
)

export const sessions = sqliteTable(
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
    credentialRotatedAt: integer('credential_rotated_at').notNull(),
    deviceName: text('device_name').notNull(),
    userAgent: text('user_agent').notNull(),
    clientIp: text('client_ip').notNull(),
    /** Keyed hashes for the anomaly check (user agent family, client network); see the README. */
    uaFamilyHash: text('ua_family_hash'),
    networkHash: text('network_hash'),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    idleExpiresAt: integer('idle_expires_at').notNull(),
    absoluteExpiresAt: integer('absolute_expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.revokedAt),
    index('sessions_idle_idx').on(t.idleExpiresAt),
    index('sessions_absolute_idx').on(t.absoluteExpiresAt),
  ],
)

/**
 * Server-side refresh tokens: one family per session, stored only as SHA-256 hashes.
 * A consumed token keeps its row so that presenting it again is recognised as reuse.
 * `generation` numbers the chain; one token per (session, generation), the primary key, is what
 * stops two racing renewals from both storing a successor, whatever the database's isolation level.
 *
 * The table is WITHOUT ROWID (in the migration; drizzle cannot say it), clustered by that key: a
 * session's rows (its current token and at most 32 consumed ones) sit together in one b-tree
 * page, so a renewal (consume, insert, prune) writes that one page, where a rowid table with a
 * token-hash key wrote five or six scattered ones. Every statement names the session, so no index
 * on the hash is needed: a session's few rows are scanned.
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    generation: integer('generation').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    consumedAt: integer('consumed_at'),
    replacedBy: text('replaced_by'),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.generation] })],
)

/**
 * Append-only; triggers in the migrations refuse DELETE, and UPDATE of anything but the personal
 * fields (retention erases them; see `eraseAuditPersonalData`).
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer('seq').primaryKey(),
    type: text('type').notNull(),
    at: integer('at').notNull(),
    userId: text('user_id'),
    sessionId: text('session_id'),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    deviceName: text('device_name'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
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
export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: text('public_jwk', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  privateKeyEnc: text('private_key_enc').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Set when a newer key took over signing. */
  retiredAt: integer('retired_at'),
  /** Not published after this time (retiredAt + the longest token lifetime; or at once in an emergency). */
  publishUntil: integer('publish_until'),
})

/** Login attempt counters (per account and address, per address, per account), shared by every gateway. */
export const rateLimits = sqliteTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: integer('window_start').notNull(),
  failures: integer('failures').notNull(),
  lockouts: integer('lockouts').notNull(),
  lockedUntil: integer('locked_until'),
  /** 1 once the current lockout has refused an attempt (that one is audited; the rest only counted in metrics). */
  refused: integer('refused').notNull().default(0),
  updatedAt: integer('updated_at').notNull(),
})

/** A local user's accounts at identity providers, by (issuer, subject). */
export const identities = sqliteTable(
  'identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    createdAt: integer('created_at').notNull(),
    lastLoginAt: integer('last_login_at'),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index('identities_user_idx').on(t.userId)],
)

/** OpenID Connect logins in flight, by SHA-256 of `state`; taken once. */
export const oidcTransactions = sqliteTable(
  'oidc_transactions',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    browserHash: text('browser_hash').notNull(),
    dataEnc: text('data_enc').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('oidc_transactions_expires_idx').on(t.expiresAt)],
)

/** The IdP's tokens of a session from an IdP login, encrypted; `version` is the refresh compare-and-set. */
export const idpSessions = sqliteTable(
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
    accessExpiresAt: integer('access_expires_at'),
    version: integer('version').notNull(),
    /** While set and in the future, one gateway is refreshing these tokens; the others wait for it. */
    refreshLeaseUntil: integer('refresh_lease_until'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('idp_sessions_sid_idx').on(t.issuer, t.idpSid), index('idp_sessions_subject_idx').on(t.issuer, t.subject)],
)

/** Ids of back-channel logout tokens already used (hashed), kept until they could no longer be replayed. */
export const logoutTokenIds = sqliteTable(
  'logout_token_ids',
  {
    key: text('key').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('logout_token_ids_expires_idx').on(t.expiresAt)],
)

/**
 * The public revocation feed: one row per ended session, written by a trigger on `sessions`
 * (see the migration), so every way a session ends, whoever ends it, lands here in the same
 * transaction. `seq` is AUTOINCREMENT: never reused, even after old rows are pruned, so a
 * client's cursor stays meaningful. `endedAt`: no token was minted for the session after it.
 * No user data: a session id and a time.
 */
export const revocationFeed = sqliteTable(
  'revocation_feed',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id').notNull(),
    endedAt: integer('ended_at').notNull(),
  },
  (t) => [index('revocation_feed_ended_idx').on(t.endedAt)],
)

// No `gateway_leases` here (the Postgres store has one, see its schema.ts): every process on a
// SQLite file shares that file, and its session lookup cache checks `PRAGMA data_version` on
// every lookup, which changes whenever another connection wrote; `session_changes` below then
// says which sessions and users to forget. Nothing can go stale unseen.

/**
 * What changed under the session lookup cache (see session-lookup-cache.ts), written by triggers
 * on `sessions` and `users` (see the migration), so every writer is covered: this store, another
 * worker or gateway on the same file, the CLI, a raw UPDATE. One row names a session or a user
 * (the other is null). `seq` is AUTOINCREMENT: monotonic and never reused, so a reader's cursor
 * stays meaningful and a gap (pruned rows) can be told exactly. `changedAt` is the database's own
 * clock (epoch ms); rows leave after a few minutes (deleteEndedSessions). Postgres has no such
 * table: its session cache is trusted under leases instead (packages/store-postgres).
 */
export const sessionChanges = sqliteTable('session_changes', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  sessionId: text('session_id'),
  userId: text('user_id'),
  changedAt: integer('changed_at').notNull(),
})
