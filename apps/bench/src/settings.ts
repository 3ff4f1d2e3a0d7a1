export interface Settings {
  mode: 'full' | 'quick'
  connections: number
  /**
   * Each hot-path target's timed warm-up, after the gateways have seen every cookie once (the first
   * request of a session unseals its cookie and mints a JWT); the memory phase takes at most 1 s.
   */
  warmupS: number
  rounds: number
  roundS: number
  /**
   * Users logged in with POST /auth/login over HTTP, `loginConnections` at a time, one session
   * each: the hot path's cookies, and the login-throughput measurement.
   */
  users: number
  loginConnections: number
  /** Rounds of one run per store, alternating. */
  validationRounds: number
  validationS: number
  /** Sessions in the store for the "large" session-validation run. */
  largeSessions: number
  /** Active sessions, each used once, for the memory measurement. */
  memorySessions: number
  streamBytes: number
  profileS: number
  /** Sessions revoked at once for the revocation feed's size and catch-up time (from the large store). */
  massRevocations: number
  /** Renewals phase: the steady run before the wave, and the wave (the cohort's renewals spread over a minute). */
  renewalSteadyS: number
  renewalWaveS: number
  /** Sessions whose first requests warm each fresh process of the renewals phase (unmeasured). */
  renewalWarmupSessions: number
  /** Fresh processes whose first-request cost is measured, per store (the median is reported). */
  firstRequestRounds: number
}

export const FULL: Settings = {
  mode: 'full',
  connections: 50,
  warmupS: 1,
  rounds: 3,
  // 4 s until the Postgres gateway joined the rounds: 3 s keeps the full run under 3 minutes.
  roundS: 3,
  users: 1000,
  loginConnections: 4,
  validationRounds: 3,
  validationS: 1,
  largeSessions: 1_000_000,
  // 100,000 until the Postgres gateway joined the hot path; at ~1,200 first uses/s this phase
  // is the longest, and 75,000 keeps the full run under 3 minutes.
  memorySessions: 100_000,
  streamBytes: 1024 ** 3,
  profileS: 5,
  massRevocations: 100_000,
  renewalSteadyS: 3,
  renewalWaveS: 60,
  renewalWarmupSessions: 2000,
  // 3 until a round on a slow moment of the host (one pass of 1,000 first requests moved by up
  // to 250 µs per request between processes of one run) could decide the median.
  firstRequestRounds: 5,
}

export const QUICK: Settings = {
  mode: 'quick',
  connections: 50,
  warmupS: 1,
  rounds: 1,
  roundS: 1,
  users: 50,
  loginConnections: 4,
  validationRounds: 1,
  validationS: 0.5,
  largeSessions: 10_000,
  memorySessions: 2_000,
  streamBytes: 50 * 1024 ** 2,
  profileS: 1,
  massRevocations: 5_000,
  renewalSteadyS: 1,
  renewalWaveS: 3,
  renewalWarmupSessions: 100,
  firstRequestRounds: 1,
}
