import type { Store } from '@gatehouse/store'
import type { Clock } from '../clock.js'
import type { SessionManager } from '../session/session-manager.js'

/** Ended sessions stay readable (reason, time) this long before they are deleted. */
export const ENDED_SESSION_RETENTION_MS = 24 * 3_600_000

export interface PruneResult {
  expired: number
  deletedSessions: number
  deletedRateLimits: number
  deletedRefreshTokens: number
  deletedSigningKeys: number
  /** Audit events whose personal fields were erased (GATEHOUSE_AUDIT_RETENTION_DAYS). */
  erasedAuditEvents: number
}

export interface PruneOptions {
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
export async function prune(store: Store, clock: Clock, sessions: Pick<SessionManager, 'expireDue'>, options: PruneOptions = {}): Promise<PruneResult> {
  const expired = await sessions.expireDue()
  const before = clock.now() - ENDED_SESSION_RETENTION_MS
  const deletedSessions = await store.deleteEndedSessions(before)
  const deletedRateLimits = await store.deleteStaleRateLimits(before)
  const deletedRefreshTokens = await store.deleteConsumedRefreshTokens(before)
  const deletedSigningKeys = await store.deleteUnpublishedSigningKeys(before)
  const erasedAuditEvents =
    options.auditRetentionDays === undefined ? 0 : await store.eraseAuditPersonalData(clock.now() - options.auditRetentionDays * 86_400_000)
  return { expired, deletedSessions, deletedRateLimits, deletedRefreshTokens, deletedSigningKeys, erasedAuditEvents }
}

/** Runs `prune` every `everyS` seconds inside the gateway; failures are logged, never thrown. */
export function schedulePrune(run: () => Promise<PruneResult>, everyS: number, onError: (error: unknown) => void): () => void {
  const timer = setInterval(() => {
    run().catch(onError)
  }, everyS * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
