import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

// CPU of servers the bench does not run in its own children (the Postgres cluster, nginx), read
// from /proc: Linux only, in clock ticks (10 ms), so callers divide long runs by many requests.

// /proc/<pid>/stat, after the ")" that ends the command name: field 3 (state) is index 0.
const PPID = 4 - 3
const UTIME = 14 - 3
const STIME = 15 - 3
const CUTIME = 16 - 3
const CSTIME = 17 - 3

const clockTicks = (() => {
  const got = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
  const n = Number(got.stdout?.trim())
  return Number.isInteger(n) && n > 0 ? n : 100
})()

function statFields(pid: string | number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined // gone meanwhile, or no /proc
  }
}

export function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
}

/** A process's command line, or undefined when it is gone (or there is no /proc). */
export function commandLine(pid: string | number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system) so far, µs, of a server's main process and its live children (an
 * nginx master and its workers; a postmaster and its backends), plus what the main process has
 * reaped from ended children. Undefined when the process is gone or /proc cannot tell.
 */
export function processTreeCpuUs(main: number): number | undefined {
  const own = statFields(main)
  if (own === undefined) return undefined
  let ticks = Number(own[UTIME]) + Number(own[STIME]) + Number(own[CUTIME]) + Number(own[CSTIME])
  for (const pid of processIds()) {
    const f = statFields(pid)
    if (f !== undefined && Number(f[PPID]) === main) ticks += Number(f[UTIME]) + Number(f[STIME])
  }
  return (ticks * 1_000_000) / clockTicks
}
