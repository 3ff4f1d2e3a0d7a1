import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { postgresForTests } from '@gatehouse/store-postgres/testing'

/** A throwaway Postgres cluster (store-postgres's test harness) with one database for a gateway. */
export interface BenchPostgres {
  /** TCP URL with the password, as a gateway connects. */
  url: string
  /** From `postgres --version`, e.g. "PostgreSQL 15.14 (Debian 15.14-0+deb12u1)". */
  server: string
  /**
   * CPU time (user + system) of the cluster's processes so far, µs: the postmaster and its live
   * children (backends, background workers) read from /proc, plus what the postmaster has reaped
   * from ended ones. Undefined where /proc cannot tell.
   */
  cpuUs(): number | undefined
  stop(): Promise<void>
}

const LABEL = 'bench'

/**
 * Starts a cluster or says why not. The harness's own warning (written for test files) is kept
 * off the console, and its refusal under CI=true becomes a skip reason like any other: the bench
 * prints one line and goes on without the Postgres row (its vitest insists on the row under CI).
 */
export async function startPostgres(database: string): Promise<{ postgres: BenchPostgres; skipReason?: undefined } | { postgres?: undefined; skipReason: string }> {
  let found: Awaited<ReturnType<typeof postgresForTests>>
  const warn = console.warn
  console.warn = () => {}
  try {
    found = await postgresForTests(LABEL)
  } catch (error) {
    const message = (error as Error).message
    const ciPrefix = `${LABEL}: Postgres is required under CI, but `
    return { skipReason: message.startsWith(ciPrefix) ? message.slice(ciPrefix.length) : message }
  } finally {
    console.warn = warn
  }
  if (found.skipReason !== undefined) return { skipReason: found.skipReason }
  const cluster = found.cluster
  try {
    const url = await cluster.createDatabase(database)
    const postmaster = findPostmaster(Number(new URL(url).port))
    return {
      postgres: {
        url,
        server: postmaster === undefined ? 'PostgreSQL (version unknown)' : serverVersion(postmaster),
        cpuUs: () => (postmaster === undefined ? undefined : processTreeCpuUs(postmaster)),
        stop: () => cluster.stop(),
      },
    }
  } catch (error) {
    await cluster.stop().catch(() => {})
    return { skipReason: `the Postgres cluster started but the bench database could not be created: ${(error as Error).message}` }
  }
}

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

const processIds = (): string[] => {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
}

/** The postmaster listening on `port`: `pg_ctl start -o "... -p PORT ..."` puts the port on its command line. */
function findPostmaster(port: number): number | undefined {
  for (const pid of processIds()) {
    let argv: string[]
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    const p = argv.indexOf('-p')
    if (argv[0]?.endsWith('postgres') && p > 0 && argv[p + 1] === String(port)) return Number(pid)
  }
  return undefined
}

function serverVersion(postmaster: number): string {
  try {
    // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
    const got = spawnSync(readlinkSync(`/proc/${postmaster}/exe`), ['--version'], { encoding: 'utf8' })
    const version = /\(PostgreSQL\)\s*(.+)/.exec(got.stdout ?? '')?.[1]?.trim()
    return version === undefined ? 'PostgreSQL (version unknown)' : `PostgreSQL ${version}`
  } catch {
    return 'PostgreSQL (version unknown)'
  }
}

/** CPU (µs) of a process, its live children and those it has reaped: a Postgres cluster, a gateway's primary and workers. */
export function processTreeCpuUs(root: number): number | undefined {
  const main = statFields(root)
  if (main === undefined) return undefined
  let ticks = Number(main[UTIME]) + Number(main[STIME]) + Number(main[CUTIME]) + Number(main[CSTIME])
  for (const pid of processIds()) {
    const f = statFields(pid)
    if (f !== undefined && Number(f[PPID]) === root) ticks += Number(f[UTIME]) + Number(f[STIME])
  }
  return (ticks * 1_000_000) / clockTicks
}
