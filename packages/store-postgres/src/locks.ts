import { sql, type SQL } from 'drizzle-orm'

// Advisory locks are per database, keyed here by two int4s: one class for Gatehouse, one id per
// thing that must happen one at a time across every gateway on the database.
const GATEHOUSE = 0x67617465 // 'gate'
// 4 is taken by the revocation feed's trigger (drizzle/postgres, revocation_feed migration).
export const LOCKS = { migrate: 1, audit: 2, signingKeys: 3, revocationFeed: 4 } as const

/** Held until the surrounding transaction ends; nothing to release, even if the client dies. */
export const xactLock = (id: number): SQL => sql.raw(`select pg_advisory_xact_lock(${GATEHOUSE}, ${id})`)

/** Session-level: for work that opens its own transactions (the migrator). Unlock explicitly. */
export const sessionLock = (id: number): string => `select pg_advisory_lock(${GATEHOUSE}, ${id})`
export const sessionUnlock = (id: number): string => `select pg_advisory_unlock(${GATEHOUSE}, ${id})`
