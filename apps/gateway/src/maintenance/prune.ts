import type { Store } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import { REVOCATION_SKEW_S } from '../revocations/feed-reader.js'
import type { SessionManager } from '../session/session-manager.js'

/** Ended sessions stay readable (reason, time) this long before they are deleted. */
export const ENDED_SESSION_RETENTION_MS = 24 * 3_600_000

export interface PruneResult {
  expired: number
  deletedSessions: number
  deletedRateLimits: number
  deletedRefreshTokens: number
  deletedSigningKeys: number
  /** Login transactions and back-channel logout token ids past their expiry. */
  deletedOidcRecords: number
  deletedRevocations: number
  /** Audit events whose personal fields were erased (GATEHOUSE_AUDIT_RETENTION_DAYS). */
  erasedAuditEvents: number
}

export interface PruneOptions {
  /** GATEHOUSE_ACCESS_TTL: revocation feed entries leave once no token of their session can verify. */
  accessTtlS: number
  /** Personal fields (address, user agent, device name) of audit events older than this are erased. */
  auditRetentionDays?: number | undefined
}

/**
 * Ends what has expired (each with an audit event and reason 'expired'), then deletes what is a
 * day past use: ended sessions, untouched rate-limit rows, consumed refresh tokens (a replay of
 * one older than that is refused as unknown rather than recognised as reuse) and signing keys
 * no longer published. The audit trail itself is never pruned; with a retention period, the
 * personal fields of its older events are erased, in a way that keeps the chain verifiable.
 */
export async function prune(store: Store, clock: Clock, sessions: Pick<SessionManager, 'expireDue'>, options: PruneOptions): Promise<PruneResult> {
  const expired = await sessions.expireDue()
  const before = clock.now() - ENDED_SESSION_RETENTION_MS
  const deletedSessions = await store.deleteEndedSessions(before)
  const deletedRateLimits = await store.deleteStaleRateLimits(before)
  const deletedRefreshTokens = await store.deleteConsumedRefreshTokens(before)
  const deletedSigningKeys = await store.deleteUnpublishedSigningKeys(before)
  const deletedOidcRecords = await store.deleteExpiredOidcRecords(clock.now())
  // Feed entries leave once no token of their session can verify any more.
  const deletedRevocations = await store.deleteRevocations(clock.now() - (options.accessTtlS + REVOCATION_SKEW_S) * 1000)
  const erasedAuditEvents =
    options.auditRetentionDays === undefined ? 0 : await store.eraseAuditPersonalData(clock.now() - options.auditRetentionDays * 86_400_000)
  return { expired, deletedSessions, deletedRateLimits, deletedRefreshTokens, deletedSigningKeys, deletedRevocations, deletedOidcRecords, erasedAuditEvents }
}

/** Runs `prune` every `everyS` seconds inside the gateway; failures are logged, never thrown. */
export function schedulePrune(run: () => Promise<PruneResult>, everyS: number, onError: (error: unknown) => void): () => void {
  const timer = setInterval(() => {
    run().catch(onError)
  }, everyS * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
