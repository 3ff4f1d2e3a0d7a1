/** Messages between the bench (parent) and a server child process. */

export type Role = 'upstream' | 'bare' | 'gateway'

export type ChildInit =
  | { role: 'upstream' }
  | { role: 'bare'; upstreamUrl: string }
  /** `movableClock`: the gateway's clock is the system's plus an offset the bench moves forward (clockAdvance). */
  | { role: 'gateway'; env: Record<string, string>; dir: string; movableClock?: boolean }

export interface MemorySample {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

export interface RssWatch {
  samples: number
  peakRss: number
  firstRss: number
  lastRss: number
}

/** What a child answers to; `args` and the answer per command. */
export interface Commands {
  /** process.cpuUsage(), µs. */
  cpu: { args: Record<string, never>; result: { userUs: number; systemUs: number } }
  memory: { args: { gc?: boolean }; result: MemorySample }
  rssWatchStart: { args: { everyMs: number }; result: null }
  rssWatchStop: { args: Record<string, never>; result: RssWatch }
  profileStart: { args: Record<string, never>; result: null }
  profileStop: { args: { path: string }; result: null }
  stop: { args: Record<string, never>; result: null }
  /** Moves a movable gateway clock forward; answers the gateway's time then (epoch ms). */
  clockAdvance: { args: { ms: number }; result: { now: number } }
}

export type Command = keyof Commands

export type ParentMessage = { type: 'init'; init: ChildInit } | { type: 'call'; id: number; cmd: Command; args: unknown }

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
