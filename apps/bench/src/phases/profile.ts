import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerChild } from '../child-process.js'
import { runLoad } from '../load.js'
import { inclusiveOwnTimes, profileDelta, readProfile, selfTimes, summarizeProfile } from '../profile-summary.js'
import type { ProfiledRun, ProfileResults } from '../results.js'
import type { Settings } from '../settings.js'
import { round } from '../stats.js'
import { assertClean } from './check.js'
import { hotPathRequests, type TargetName } from './hot-path.js'

async function profiled(child: ServerChild, target: TargetName, cookies: readonly string[], path: string, s: Settings) {
  await child.call('profileStart', {})
  const result = assertClean(`profiled ${target}`, await runLoad({ url: child.url, connections: s.connections, durationS: s.profileS, requests: hotPathRequests(target, cookies) }))
  await child.call('profileStop', { path })
  const profile = readProfile(path)
  const times = selfTimes(profile)
  const summary = summarizeProfile(profile)
  const run: ProfiledRun = {
    path,
    seconds: result.durationS,
    requests: result.ok,
    busyUsPerRequest: round(((times.totalMs - times.idleMs) * 1000) / result.ok, 1),
    functions: summary.functions,
    modules: summary.modules,
    ownCodeInclusive: [...inclusiveOwnTimes(profile)]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([name, ms]) => ({ name, usPerRequest: round((ms * 1000) / result.ok, 1) })),
  }
  return { run, times }
}

/**
 * CPU profiles (V8's sampling profiler through node:inspector, the same data `node --cpu-prof`
 * writes, limited to the load) of the gateway and of the bare proxy under the hot-path load, and
 * where the gateway spends more per request than the bare proxy.
 */
export async function profileHotPath(gateway: ServerChild, bare: ServerChild, cookies: readonly string[], dir: string, s: Settings): Promise<ProfileResults> {
  mkdirSync(dir, { recursive: true })
  const g = await profiled(gateway, 'gateway', cookies, join(dir, 'gateway.cpuprofile'), s)
  const b = await profiled(bare, 'bare', cookies, join(dir, 'bare.cpuprofile'), s)
  return {
    gateway: g.run,
    bare: b.run,
    deltaModules: profileDelta(g.times.modules, g.run.requests, b.times.modules, b.run.requests),
    deltaFunctions: profileDelta(g.times.functions, g.run.requests, b.times.functions, b.run.requests),
  }
}
