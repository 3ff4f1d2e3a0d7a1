import { z } from 'zod'

/*
 * The `anomalies` object of the GATEHOUSE_CONFIG file: what happens when a session's user agent
 * family or client network changes, or when it collects many 403s for routes its roles do not
 * allow. `ignore` does nothing, `flag` audits `session.anomaly` (and counts it in /metrics),
 * `revoke` also ends the session (reason `anomaly`) on every gateway.
 *
 *   { "anomalies": { "userAgentChange": "revoke", "networkChange": "flag",
 *                    "forbiddenBurst": { "count": 20, "windowS": 60, "action": "revoke" } } }
 */

export const ANOMALY_ACTIONS = ['ignore', 'flag', 'revoke'] as const
export type AnomalyAction = (typeof ANOMALY_ACTIONS)[number]
export type AnomalyKind = 'userAgentChange' | 'networkChange' | 'forbiddenBurst'

export interface AnomalyPolicy {
  userAgentChange: AnomalyAction
  networkChange: AnomalyAction
  forbiddenBurst: { count: number; windowS: number; action: AnomalyAction }
}

export const DEFAULT_ANOMALY_POLICY: AnomalyPolicy = {
  userAgentChange: 'revoke',
  networkChange: 'flag',
  forbiddenBurst: { count: 20, windowS: 60, action: 'revoke' },
}

const Action = z.enum(ANOMALY_ACTIONS)

export const AnomaliesSchema = z.strictObject({
  userAgentChange: Action.optional(),
  networkChange: Action.optional(),
  forbiddenBurst: z
    .strictObject({
      count: z.number().int().min(1).max(10_000).optional(),
      windowS: z.number().int().min(1).max(86_400).optional(),
      action: Action.optional(),
    })
    .optional(),
})

/** The file's `anomalies` (already checked by the schema) over the defaults. */
export function anomalyPolicy(given: z.infer<typeof AnomaliesSchema> | undefined): AnomalyPolicy {
  const d = DEFAULT_ANOMALY_POLICY
  return {
    userAgentChange: given?.userAgentChange ?? d.userAgentChange,
    networkChange: given?.networkChange ?? d.networkChange,
    forbiddenBurst: {
      count: given?.forbiddenBurst?.count ?? d.forbiddenBurst.count,
      windowS: given?.forbiddenBurst?.windowS ?? d.forbiddenBurst.windowS,
      action: given?.forbiddenBurst?.action ?? d.forbiddenBurst.action,
    },
  }
}
