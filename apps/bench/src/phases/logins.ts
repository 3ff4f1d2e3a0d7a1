import { loginAll } from '../http-client.js'
import type { LoginResults } from '../results.js'
import { PASSWORD } from '../seed.js'
import { percentile, round } from '../stats.js'

/**
 * Logs every user in over HTTP, `connections` at a time: the hot path's cookies, and the login
 * throughput (argon2id-bound by design) measured on the way.
 */
export async function logInUsers(gatewayUrl: string, usernames: readonly string[], connections: number): Promise<{ cookies: string[]; login: LoginResults }> {
  const { cookies, latenciesMs, seconds } = await loginAll(gatewayUrl, usernames, PASSWORD, connections)
  const sorted = Float64Array.from(latenciesMs).sort()
  return {
    cookies,
    login: {
      logins: usernames.length,
      connections,
      seconds: round(seconds, 2),
      loginsPerSecond: round(usernames.length / seconds, 1),
      p50Ms: round(percentile(sorted, 50), 1),
      p99Ms: round(percentile(sorted, 99), 1),
    },
  }
}
