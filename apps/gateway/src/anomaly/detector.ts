import type { SessionState, SessionFingerprint } from '@gatehouse/store'
import type { AuditOrigin } from '../audit.js'
import type { Clock } from '../clock.js'
import type { Fingerprinter } from './fingerprint.js'
import type { AnomalyAction, AnomalyKind, AnomalyPolicy } from './policy.js'

/** Something a session did that the policy says to flag or to end it for. */
export interface Anomaly {
  kinds: AnomalyKind[]
  action: Exclude<AnomalyAction, 'ignore'>
  /** For a flag: what the session is compared with from now on. */
  fingerprint: SessionFingerprint
  details?: Record<string, unknown>
}

export interface AnomalyDetector {
  /** The fingerprint a session records at login. */
  fingerprint(origin: AuditOrigin): SessionFingerprint
  /**
   * On every authenticated request: two memoised hash lookups and two string comparisons;
   * undefined (nothing allocated) while the session looks as it did at login.
   */
  inspect(session: SessionState, origin: AuditOrigin): Anomaly | undefined
  /**
   * A 403 for a route the session's roles do not allow. Counted in memory, per session and per
   * gateway; the answer is the anomaly once `count` of them fall within `windowS`.
   */
  forbidden(session: SessionState): Anomaly | undefined
}

const RANK: Record<AnomalyAction, number> = { ignore: 0, flag: 1, revoke: 2 }

export function createAnomalyDetector(policy: AnomalyPolicy, fingerprinter: Fingerprinter, clock: Clock, maxTracked = 10_000): AnomalyDetector {
  const refusals = new Map<string, number[]>()
  // The fingerprint each session was last flagged for: parallel requests that all left the old
  // baseline before the first flag was stored raise one flag, not one each (per gateway).
  const lastFlagged = new Map<string, string>()
  const burst = policy.forbiddenBurst
  const fingerprint = (origin: AuditOrigin): SessionFingerprint => ({
    uaFamilyHash: fingerprinter.uaFamilyHash(origin.userAgent),
    networkHash: fingerprinter.networkHash(origin.clientIp),
  })

  return {
    fingerprint,
    inspect(session, origin) {
      // Sessions from before fingerprints were recorded are not compared.
      if (session.uaFamilyHash === null || session.networkHash === null) return undefined
      const uaChanged = policy.userAgentChange !== 'ignore' && fingerprinter.uaFamilyHash(origin.userAgent) !== session.uaFamilyHash
      const netChanged = policy.networkChange !== 'ignore' && fingerprinter.networkHash(origin.clientIp) !== session.networkHash
      if (!uaChanged && !netChanged) return undefined
      const kinds: AnomalyKind[] = []
      let action: AnomalyAction = 'ignore'
      if (uaChanged) {
        kinds.push('userAgentChange')
        action = policy.userAgentChange
      }
      if (netChanged) {
        kinds.push('networkChange')
        if (RANK[policy.networkChange] > RANK[action]) action = policy.networkChange
      }
      const now = fingerprint(origin)
      if (action === 'flag') {
        const key = `${now.uaFamilyHash}|${now.networkHash}`
        if (lastFlagged.get(session.id) === key) return undefined
        if (lastFlagged.size >= maxTracked) lastFlagged.clear()
        lastFlagged.set(session.id, key)
      }
      return { kinds, action: action as Anomaly['action'], fingerprint: now }
    },
    forbidden(session) {
      if (burst.action === 'ignore') return undefined
      const now = clock.now()
      const since = now - burst.windowS * 1000
      const times = (refusals.get(session.id) ?? []).filter((t) => t > since)
      times.push(now)
      if (times.length < burst.count) {
        if (!refusals.has(session.id) && refusals.size >= maxTracked) refusals.clear()
        refusals.set(session.id, times)
        return undefined
      }
      refusals.delete(session.id)
      return {
        kinds: ['forbiddenBurst'],
        action: burst.action,
        fingerprint: { uaFamilyHash: session.uaFamilyHash, networkHash: session.networkHash },
        details: { count: burst.count, windowS: burst.windowS },
      }
    },
  }
}
