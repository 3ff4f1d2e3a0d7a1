import { readFileSync } from 'node:fs'
import { round } from './stats.js'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

/** The V8 .cpuprofile format (what `node --cpu-prof` and the inspector's Profiler.stop write). */
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface SelfTimes {
  totalMs: number
  idleMs: number
  /** Self time (ms) per "function module:line". */
  functions: Map<string, number>
  /** Self time (ms) per package, per file of ours, per node module. */
  modules: Map<string, number>
}

export interface ProfileEntry {
  name: string
  selfMs: number
  /** Of the busy time (samples outside "(idle)"). */
  percent: number
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  functions: ProfileEntry[]
  modules: ProfileEntry[]
}

/** A package for anything under node_modules, the repo-relative file for ours, node's own module otherwise. */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const pkg = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  if (pkg) return pkg[1]!
  const ours = url.match(/\/((?:apps|packages)\/.+)$/)
  if (ours) return ours[1]!
  return url.replace(/^file:\/\//, '')
}

function functionKey(frame: CallFrame): string {
  // Modules loaded through tsx report line 0 for everything: the name says enough there.
  const line = frame.url === '' || frame.lineNumber === 0 ? '' : `:${frame.lineNumber + 1}`
  return `${frame.functionName || '(anonymous)'} ${moduleOf(frame)}${line}`
}

const isOurs = (frame: CallFrame) => /\/(?:apps|packages)\//.test(frame.url) && !frame.url.includes('node_modules')

/**
 * Time under each function of the repo's own code (apps/, packages/), callees included, in ms.
 * Only the synchronous part of a call counts: an awaited continuation starts a new stack.
 */
export function inclusiveOwnTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const times = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame
      if (isOurs(frame)) seen.add(functionKey(frame))
    }
    for (const key of seen) times.set(key, (times.get(key) ?? 0) + ms)
  })
  return times
}

/** Self time per function and per module, from each sample's time delta. */
export function selfTimes(profile: CpuProfile): SelfTimes {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const functions = new Map<string, number>()
  const modules = new Map<string, number>()
  let totalMs = 0
  let idleMs = 0
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; the sample's own time is the next delta.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const frame = byId.get(id)!
    totalMs += ms
    if (frame.functionName === '(idle)') {
      idleMs += ms
      return
    }
    const mod = moduleOf(frame)
    const fn = functionKey(frame)
    functions.set(fn, (functions.get(fn) ?? 0) + ms)
    modules.set(mod, (modules.get(mod) ?? 0) + ms)
  })
  return { totalMs, idleMs, functions, modules }
}

function top(map: Map<string, number>, busyMs: number, n: number): ProfileEntry[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, selfMs: round(ms, 1), percent: round((100 * ms) / busyMs, 1) }))
}

export function summarizeProfile(profile: CpuProfile, n = 25): ProfileSummary {
  const t = selfTimes(profile)
  const busy = t.totalMs - t.idleMs
  return { totalMs: round(t.totalMs, 1), idleMs: round(t.idleMs, 1), functions: top(t.functions, busy, n), modules: top(t.modules, busy, n) }
}

export interface ProfileDelta {
  name: string
  /** Main-thread self time per answered request, µs. */
  gatewayUs: number
  bareUs: number
  deltaUs: number
}

/**
 * Where the gateway spends more per request than the bare proxy under the same load: self time
 * per request of each entry in both profiles, largest difference first.
 */
export function profileDelta(gateway: Map<string, number>, gatewayRequests: number, bare: Map<string, number>, bareRequests: number, n = 25): ProfileDelta[] {
  const names = new Set([...gateway.keys(), ...bare.keys()])
  return [...names]
    .map((name) => {
      const gatewayUs = ((gateway.get(name) ?? 0) * 1000) / gatewayRequests
      const bareUs = ((bare.get(name) ?? 0) * 1000) / bareRequests
      return { name, gatewayUs: round(gatewayUs, 1), bareUs: round(bareUs, 1), deltaUs: round(gatewayUs - bareUs, 1) }
    })
    .sort((a, b) => b.deltaUs - a.deltaUs)
    .slice(0, n)
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
}

export function formatSummary(summary: ProfileSummary, n = 20): string {
  const busy = summary.totalMs - summary.idleMs
  const rows = (entries: ProfileEntry[]) =>
    entries.slice(0, n).map((e) => `  ${e.percent.toFixed(1).padStart(5)} %  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`)
  return [
    `busy ${busy.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled (idle ${summary.idleMs.toFixed(0)} ms)`,
    'top self time by module:',
    ...rows(summary.modules),
    'top self time by function:',
    ...rows(summary.functions),
  ].join('\n')
}

export function formatDelta(title: string, rows: ProfileDelta[], n = 15): string {
  return [
    `${title} (main-thread self time per request, µs: gateway, bare proxy, difference)`,
    ...rows.slice(0, n).map((r) => `  ${r.gatewayUs.toFixed(1).padStart(7)} ${r.bareUs.toFixed(1).padStart(7)} ${`+${r.deltaUs.toFixed(1)}`.padStart(8)}  ${r.name}`),
  ].join('\n')
}
