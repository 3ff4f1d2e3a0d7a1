import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { User } from '@gatehouse/store'
import { openSqlite } from '@gatehouse/store-sqlite'
import { createPasswordHasher } from '../../gateway/src/auth/passwords.js'
import type { GatewayConfig } from '../../gateway/src/config/config.js'
import { loadConfig } from '../../gateway/src/config/env.js'
import { createFingerprinter } from '../../gateway/src/anomaly/fingerprint.js'
import { openStore } from '../../gateway/src/open-store.js'
import { personalDataCodec } from '../../gateway/src/privacy/personal-data.js'
import { createSessionCookie } from '../../gateway/src/session/cookie.js'
import { hashCredential, newCredential, newSessionId } from '../../gateway/src/session/credential.js'
import { ironSeal } from './fast-seal.js'

export const PASSWORD = 'bench-password-0123456789'
const USER_AGENT = 'gatehouse-bench/1'

/**
 * The gateway's environment for the bench. ROTATE_EVERY is a day (the maximum grace allows is
 * far below it): no cookie rotation, hence no Set-Cookie to follow, can happen within a run.
 * MAX_SESSIONS is raised so the login measurement never evicts a session the bench still uses.
 */
export function gatewayEnv(dir: string, upstreamUrl: string): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    GATEHOUSE_DATA_DIR: dir,
    DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
    GATEHOUSE_UPSTREAMS: `bench=${upstreamUrl}`,
    GATEHOUSE_COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghijkl',
    GATEHOUSE_MASTER_KEY: 'bench-master-key-0123456789-abcdefghijklmnop',
    GATEHOUSE_ROTATE_EVERY: '86400',
    GATEHOUSE_MAX_SESSIONS: '1000',
    // nginx, for the forward-auth rows, and the bench's own /auth/forward requests.
    GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }
}

/**
 * A consistent copy of a gateway's database (its WAL included) for a second gateway with the same
 * secrets: its cookies and signing keys are valid there too.
 */
export function copyDatabase(from: GatewayConfig, to: GatewayConfig): void {
  const { client } = openSqlite(dbPath(from))
  try {
    client.prepare('VACUUM INTO ?').run(dbPath(to))
  } finally {
    client.close()
  }
}

export function configOf(env: Record<string, string>, dir: string): GatewayConfig {
  return loadConfig(env, dir)
}

export function dbPath(config: GatewayConfig): string {
  if (config.database.kind !== 'sqlite') throw new Error('only the hot path runs a gateway on Postgres')
  return config.database.path
}

/** One argon2id hash of PASSWORD, shared by every bench user (1,000 hashes would take minutes). */
export function benchPasswordHash(): Promise<string> {
  return createPasswordHasher().hash(PASSWORD)
}

/** Creates (and migrates) the store, SQLite or Postgres as the gateway would, and `count` users `<prefix><n>` straight through it. */
export async function seedUsers(config: GatewayConfig, prefix: string, count: number, passwordHash: string): Promise<User[]> {
  const store = await openStore(config)
  try {
    const users: User[] = []
    for (let i = 0; i < count; i++) {
      users.push(await store.createUser({ id: randomUUID(), username: `${prefix}${i}`, passwordHash, roles: ['user'], createdAt: Date.now() }))
    }
    return users
  } finally {
    await store.close()
  }
}

/** `work` over `items`, `width` at a time (a Postgres pool's worth of round trips in flight). */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += width) await Promise.all(items.slice(start, start + width).map(work))
}

/**
 * Copies the users (same ids, names and hash) and the live sessions of a SQLite gateway's store
 * into another store through the stores' own createUser/createSession: the cookies its users got
 * at login then work on a gateway of that store too, since both seal with the same secret.
 * Returns the number of sessions copied.
 */
export async function copyUsersAndSessions(from: GatewayConfig, to: GatewayConfig, users: readonly User[]): Promise<number> {
  const { client } = openSqlite(dbPath(from))
  let ids: string[]
  try {
    ids = (client.prepare('SELECT id FROM sessions WHERE revoked_at IS NULL ORDER BY id').all() as Array<{ id: string }>).map((row) => row.id)
  } finally {
    client.close()
  }
  const source = await openStore(from, { migrate: false })
  try {
    const target = await openStore(to)
    try {
      await inBatches(users, 10, (u) => target.createUser({ id: u.id, username: u.username, passwordHash: u.passwordHash, roles: u.roles, createdAt: u.createdAt }))
      await inBatches(ids, 10, async (id) => {
        const session = await source.findSession(id)
        if (session === null) throw new Error(`session ${id} went away while the bench copied it`)
        await target.createSession(session)
      })
    } finally {
      await target.close()
    }
  } finally {
    await source.close()
  }
  return ids.length
}

/**
 * `count` live sessions spread over `users`, created through the store's own createSession (so a
 * store that seals personal data seals theirs, as it does a login's), on SQLite or Postgres as
 * `config` says, and their sealed cookies ("name=value"). For a few thousand sessions; the raw
 * insert below is for hundreds of thousands.
 */
export async function createSessionsWithCookies(config: GatewayConfig, users: readonly User[], count: number): Promise<string[]> {
  const cookie = createSessionCookie({ secrets: config.cookieSecrets, secure: config.secureCookies, ttlS: config.absoluteTtlS })
  const store = await openStore(config, { migrate: false })
  const now = Date.now()
  const pairs: string[] = []
  // The anomaly baseline a login over HTTP records (the bench's user agent, from 127.0.0.1), so
  // that these sessions' requests take the path logged-in sessions' requests take.
  const fingerprinter = createFingerprinter(personalDataCodec(config.masterKey))
  const fingerprint = { uaFamilyHash: fingerprinter.uaFamilyHash(USER_AGENT), networkHash: fingerprinter.networkHash('127.0.0.1') }
  try {
    for (let k = 0; k < count; k++) {
      const sid = newSessionId()
      const cred = newCredential()
      await store.createSession({
        id: sid,
        userId: users[k % users.length]!.id,
        credentialHash: hashCredential(cred),
        previousCredentials: [],
        credentialRotatedAt: now,
        deviceName: 'bench',
        userAgent: USER_AGENT,
        clientIp: '127.0.0.1',
        ...fingerprint,
        createdAt: now,
        lastSeenAt: now,
        idleExpiresAt: now + config.idleTtlS * 1000,
        absoluteExpiresAt: now + config.absoluteTtlS * 1000,
        revokedAt: null,
        revokedReason: null,
      })
      pairs.push(`${cookie.name}=${ironSeal({ sid, cred }, config.cookieSecrets[0]!, config.absoluteTtlS)}`)
    }
  } finally {
    await store.close()
  }
  return pairs
}

const SESSION_COLUMNS = `id, user_id, credential_hash, previous_credential_hash, credential_rotated_at, device_name,
  user_agent, client_ip, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason`
// Every session is live: created now, idle and absolute expiry ahead.
const SESSION_REST = `NULL, @now, 'bench', '${USER_AGENT}', '127.0.0.1', @now, @now, @idle, @absolute, NULL, NULL`

function timesOf(config: GatewayConfig) {
  const now = Date.now()
  return { now, idle: now + config.idleTtlS * 1000, absolute: now + config.absoluteTtlS * 1000 }
}

/**
 * One transaction on a connection of its own, to a database no gateway has open yet: without the
 * WAL's second copy of every page, with room to keep the indexes' pages in memory. (The gateway
 * turns WAL back on when it opens the file.)
 */
function inTransaction(config: GatewayConfig, work: (client: ReturnType<typeof openSqlite>['client']) => void): void {
  const { client } = openSqlite(dbPath(config))
  try {
    client.pragma('journal_mode = DELETE')
    client.pragma('synchronous = OFF')
    client.pragma('cache_size = -524288')
    client.transaction(() => work(client))()
  } finally {
    client.close()
  }
}

/**
 * Inserts `count` live sessions spread over `users` in one transaction, straight into SQLite,
 * each with a real credential, and returns the sealed cookies ("name=value") the gateway would
 * have set for them. They are sealed with ironSeal() when the gateway's own cookie.open() reads
 * its seals back correctly, and with the gateway's cookie.seal() (slow) otherwise.
 */
export async function insertSessionsWithCookies(config: GatewayConfig, users: readonly User[], count: number): Promise<string[]> {
  const cookie = createSessionCookie({ secrets: config.cookieSecrets, secure: config.secureCookies, ttlS: config.absoluteTtlS })
  const sample = { sid: newSessionId(), cred: newCredential() }
  const opened = await cookie.open(ironSeal(sample, config.cookieSecrets[0]!, config.absoluteTtlS))
  const fast = opened !== null && !opened.stale && opened.payload.sid === sample.sid && opened.payload.cred === sample.cred
  const seal = (payload: { sid: string; cred: string }) =>
    fast ? ironSeal(payload, config.cookieSecrets[0]!, config.absoluteTtlS) : cookie.seal(payload)

  const rows: Array<[id: string, userId: string, credentialHash: string]> = []
  const pairs: string[] = []
  const BATCH = 1000
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => ({
      sid: newSessionId(),
      cred: newCredential(),
      userId: users[(start + k) % users.length]!.id,
    }))
    const sealed = await Promise.all(batch.map((b) => seal({ sid: b.sid, cred: b.cred })))
    for (const value of sealed) pairs.push(`${cookie.name}=${value}`)
    for (const b of batch) rows.push([b.sid, b.userId, hashCredential(b.cred)])
  }
  const insert = `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (@id, @userId, @credentialHash, ${SESSION_REST})`
  const times = timesOf(config)
  inTransaction(config, (client) => {
    const statement = client.prepare(insert)
    for (const [id, userId, credentialHash] of rows) statement.run({ id, userId, credentialHash, ...times })
  })
  return pairs
}

/**
 * Inserts `count` live filler sessions (no cookie exists for them) spread over `users`, generated
 * inside SQLite in one statement, in id order and a block of them per user, so that the indexes
 * grow at their ends instead of at random places. Their ids are 128 random bits like
 * newSessionId()'s, in hex.
 */
export function insertFillerSessions(config: GatewayConfig, users: readonly User[], count: number): void {
  inTransaction(config, (client) => {
    client.exec('CREATE TEMP TABLE bench_users (n INTEGER PRIMARY KEY, id TEXT NOT NULL)')
    const addUser = client.prepare('INSERT INTO bench_users (n, id) VALUES (?, ?)')
    users.forEach((user, n) => addUser.run(n, user.id))
    client
      .prepare(
        `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < @count),
         ids(k, id) AS (SELECT row_number() OVER (ORDER BY id) - 1, id FROM (SELECT lower(hex(randomblob(16))) AS id FROM seq))
         INSERT INTO sessions (${SESSION_COLUMNS})
         SELECT id, (SELECT id FROM bench_users WHERE n = CAST(k * @users / @count AS INTEGER)), @credentialHash, ${SESSION_REST} FROM ids ORDER BY k`,
      )
      .run({ count, users: users.length, credentialHash: hashCredential('filler'), ...timesOf(config) })
    client.exec('DROP TABLE bench_users')
  })
}
