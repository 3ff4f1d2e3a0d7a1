import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Path prefix -> the label we report. Never a user id or session id: bounded by construction. */
export type RouteClass = 'auth' | 'forward' | 'api' | 'admin' | 'health' | 'jwks' | 'metrics' | 'web'

export function routeClass(path: string): RouteClass {
  if (path.startsWith('/api/')) return 'api'
  // Another proxy's decisions, one per request it serves: apart from logins and logouts.
  if (path === '/auth/forward' || path.startsWith('/auth/forward/')) return 'forward'
  if (path.startsWith('/auth/')) return 'auth'
  if (path.startsWith('/admin/')) return 'admin'
  if (path === '/healthz' || path === '/readyz') return 'health'
  if (path.startsWith('/.well-known/')) return 'jwks'
  if (path === '/metrics') return 'metrics'
  return 'web'
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * The gateway's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * every gateway built in one process (tests, bench) counts separately.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry()
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' })

  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by route class and status code',
    labelNames: ['route_class', 'status'] as const,
    registers: [registry],
  })
  const gatewayDuration = new Histogram({
    name: 'gatehouse_gateway_duration_seconds',
    help: "Time spent in the gateway's own work per request (for proxied calls: excluding the upstream's time)",
    labelNames: ['route_class'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const upstreamDuration = new Histogram({
    name: 'gatehouse_upstream_duration_seconds',
    help: "Time from sending a proxied request to the upstream's response headers",
    labelNames: ['upstream', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })
  const revocations = new Counter({
    name: 'gatehouse_session_revocations_total',
    help: 'Sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  })
  const reuse = new Counter({
    name: 'gatehouse_reuse_detections_total',
    help: 'Rotated-out cookie credentials or consumed refresh tokens presented again (a session revoked for it)',
    labelNames: ['kind'] as const,
    registers: [registry],
  })
  const anomalies = new Counter({
    name: 'gatehouse_session_anomalies_total',
    help: 'Sessions flagged or revoked by the anomaly policy, by anomaly and action',
    labelNames: ['anomaly', 'action'] as const,
    registers: [registry],
  })
  const rateLimited = new Counter({
    name: 'gatehouse_rate_limit_refusals_total',
    help: 'Login or password attempts refused with 429',
    registers: [registry],
  })
  const storeUnavailable = new Counter({
    name: 'gatehouse_store_unavailable_total',
    help: 'Requests answered 503 because the session store (SQLite or Postgres) failed or did not answer',
    registers: [registry],
  })
  // Read from the store: every worker of a gateway reads the same value, which is not summed.
  const activeSessions = new Gauge({ name: 'gatehouse_active_sessions', help: 'Live sessions in the store', registers: [registry], aggregator: 'max' })
  const keyAge = new Gauge({ name: 'gatehouse_signing_key_age_seconds', help: 'Age of the key that signs new tokens', registers: [registry], aggregator: 'max' })

  return {
    registry,
    requests,
    gatewayDuration,
    upstreamDuration,
    logins,
    revocations,
    reuse,
    anomalies,
    rateLimited,
    storeUnavailable,
    activeSessions,
    keyAge,
    /** Every 429 of the login limits (the audit trail keeps only the first of each lockout). */
    onRateLimited(route: 'login' | 'password'): void {
      rateLimited.inc()
      if (route === 'login') logins.inc({ outcome: 'rate_limited' })
    },
    /** Counts what the audit trail records: one source of truth for lifecycle events. */
    onAudit(type: string, details: Record<string, unknown> | undefined): void {
      switch (type) {
        case 'login.succeeded':
          logins.inc({ outcome: 'success' })
          break
        case 'login.failed':
          // Unknown user and wrong password get the same answer, so they get the same label:
          // no metric may tell real usernames from made-up ones. A suspension answers 403.
          logins.inc({ outcome: details?.reason === 'suspended' ? 'suspended' : 'failed' })
          break
        case 'password_change.failed':
          break
        case 'session.revoked':
          revocations.inc({ reason: String(details?.reason ?? 'unknown') })
          break
        case 'session.expired':
          revocations.inc({ reason: 'expired' })
          break
        case 'session.reuse_detected':
          reuse.inc({ kind: 'cookie' })
          break
        case 'session.anomaly':
          for (const anomaly of (details?.anomalies as string[] | undefined) ?? []) anomalies.inc({ anomaly, action: String(details?.action) })
          break
        case 'refresh.reuse_detected':
          reuse.inc({ kind: 'refresh_token' })
          break
      }
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
