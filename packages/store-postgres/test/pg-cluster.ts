/**
 * A throwaway Postgres for tests: a cluster in a temp dir (on tmpfs when there is room), listening on 127.0.0.1 at a free port
 * (its unix socket inside the temp dir), stopped and deleted at the end. As root (CI containers)
 * initdb and the server run as the `postgres` user, since initdb refuses root.
 *
 * `postgresForTests()` either starts one or says why it cannot; test files skip with that reason,
 * except under CI=true, where a missing Postgres fails the run instead of hiding the tests.
 */
import { execFile, spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { accessSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Client, escapeLiteral } from 'pg'

const run = promisify(execFile)

export interface PgCluster {
  /** Where the server's tools are (pg_dump, psql). */
  bindir: string
  /** URL of a database over TCP with the password, as a gateway connects. */
  url(database: string): string
  /**
   * URL of a database over the cluster's unix socket (trust; the socket's directory is private).
   * Cheaper per connection than TCP with SCRAM, for suites that open many short-lived pools.
   */
  socketUrl(database: string): string
  /** Creates a database, optionally as a copy of `template`; returns its TCP URL. */
  createDatabase(name: string, options?: { template?: string }): Promise<string>
  /** Runs one statement on the `postgres` database. */
  admin(sql: string): Promise<void>
  /** Stops the server (an outage: connections are cut, new ones refused) but keeps its data. */
  pause(): Promise<void>
  /** Starts the paused server again, on the same port with the same data. */
  resume(): Promise<void>
  stop(): Promise<void>
}

export type PostgresForTests = { cluster: PgCluster; skipReason?: undefined } | { cluster?: undefined; skipReason: string }

/** Starts a cluster, or explains why not (and throws instead under CI=true). */
export async function postgresForTests(label: string): Promise<PostgresForTests> {
  const found = findPostgres()
  let reason = 'reason' in found ? found.reason : undefined
  if ('bindir' in found) {
    try {
      return { cluster: await startCluster(found.bindir) }
    } catch (error) {
      reason = `a local Postgres from ${found.bindir} did not start: ${(error as Error).message}`
    }
  }
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${label}: Postgres is required under CI, but ${reason}`)
  console.warn(`[${label}] skipping the Postgres tests: ${reason}`)
  return { skipReason: reason ?? 'unknown' }
}

interface Runner {
  bindir: string
  /** Set when commands must run as the `postgres` user. */
  asUser?: { name: string; uid: number; gid: number }
}

function findPostgres(): { bindir: string } | { reason: string } {
  const hasTools = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))
  const candidates: string[] = []
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim())
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    candidates.push(...versions.map((v) => join(debian, v, 'bin')))
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean))
  const bindir = candidates.find(hasTools)
  if (!bindir) return { reason: 'no initdb/pg_ctl found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH); install PostgreSQL to run them' }
  return { bindir }
}

function runnerFor(bindir: string): Runner {
  if (process.getuid?.() !== 0) return { bindir }
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
  const uid = id('-u')
  const gid = id('-g')
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root, and there is no "postgres" user to run initdb as')
  if (spawnSync('runuser', ['--help']).error) throw new Error('running as root, and runuser is missing')
  return { bindir, asUser: { name: 'postgres', uid: Number(uid.stdout), gid: Number(gid.stdout) } }
}

function command(runner: Runner, tool: string, args: string[]): [string, string[]] {
  const path = join(runner.bindir, tool)
  return runner.asUser ? ['runuser', ['-u', runner.asUser.name, '--', path, ...args]] : [path, args]
}

async function pgTool(runner: Runner, cwd: string, tool: string, args: string[]): Promise<void> {
  const [file, argv] = command(runner, tool, args)
  try {
    await run(file, argv, { cwd, timeout: 60_000 })
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim()
    throw new Error(`${tool} failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' | ')}` : ''}`)
  }
}

function own(runner: Runner, path: string): void {
  if (runner.asUser) chownSync(path, runner.asUser.uid, runner.asUser.gid)
}

// Local connections trust (the socket lives in a private directory); TCP needs the password.
const INITDB_ARGS = ['-U', 'postgres', '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C', '--no-sync']

/**
 * initdb takes a second or more alone, and several test files running it at once on a small
 * machine took nine seconds each. So it runs once per Postgres build into a cache under this
 * package's node_modules (one process at a time, the others wait), and every cluster starts as
 * a copy of that. Each cluster then gets its own password.
 */
async function initdbFromCache(runner: Runner, data: string): Promise<void> {
  const cacheRoot = fileURLToPath(new URL('../node_modules/.cache/gatehouse-pg', import.meta.url))
  const key = createHash('sha256').update(`${runner.bindir}\0${INITDB_ARGS.join(' ')}\0${runner.asUser?.uid ?? process.getuid?.()}`).digest('hex').slice(0, 16)
  const cached = join(cacheRoot, key)
  // The parents keep the usual mode, so that the postgres user can reach its own 0700 directory.
  mkdirSync(dirname(cacheRoot), { recursive: true })
  if (!existsSync(cacheRoot)) mkdirSync(cacheRoot, { mode: 0o700 })
  own(runner, cacheRoot)
  if (!existsSync(join(cached, 'PG_VERSION'))) {
    await withLock(`${cached}.lock`, async () => {
      if (existsSync(join(cached, 'PG_VERSION'))) return
      const building = `${cached}.${process.pid}`
      rmSync(building, { recursive: true, force: true })
      const pwfile = join(cacheRoot, `${key}.${process.pid}.pw`)
      // A throwaway password: each cluster replaces it before anyone connects over TCP.
      writeFileSync(pwfile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 })
      own(runner, pwfile)
      try {
        await pgTool(runner, cacheRoot, 'initdb', ['-D', building, `--pwfile=${pwfile}`, ...INITDB_ARGS])
      } finally {
        rmSync(pwfile, { force: true })
      }
      renameSync(building, cached)
    })
  }
  // -a keeps the owner (postgres) and the 0700 mode Postgres insists on.
  await run('cp', ['-a', cached, data])
}

async function withLock(lock: string, f: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error
      // A holder that died leaves its lock behind; initdb never takes a minute.
      if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  try {
    await f()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * Where clusters live: /dev/shm when it is a roomy tmpfs (copying and writing a cluster there
 * takes a tenth of the time it takes on a virtual disk), else the temp dir. Docker's default
 * /dev/shm is 64 MB, too small for a few clusters, hence the check.
 */
function scratchBase(): string {
  try {
    const shm = statfsSync('/dev/shm')
    if (shm.bavail * shm.bsize >= 1024 ** 3) {
      accessSync('/dev/shm', constants.W_OK)
      return '/dev/shm'
    }
  } catch {
    // not Linux, or not writable: the temp dir it is
  }
  return tmpdir()
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function startCluster(bindir: string): Promise<PgCluster> {
  const runner = runnerFor(bindir)
  const dir = mkdtempSync(join(scratchBase(), 'gh-pg-'))
  own(runner, dir)
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')

  let started = false
  const stopNow = () => {
    watchdog.kill()
    if (started) {
      const [file, argv] = command(runner, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w'])
      spawnSync(file, argv, { cwd: dir, stdio: 'ignore' })
      started = false
    }
    rmSync(dir, { recursive: true, force: true })
  }
  // Vitest ends its workers with a signal, so neither teardown nor an 'exit' handler is sure to
  // run. A detached shell outlives this process, and once it is gone stops the server and
  // deletes the directory; stop() ends the watchdog itself.
  const [stopFile, stopArgv] = command(runner, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w'])
  const watchdog = spawn(
    'sh',
    ['-c', 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; "$@"; rm -rf "$GH_PG_DIR"', String(process.pid), stopFile, ...stopArgv],
    { detached: true, stdio: 'ignore', cwd: dir, env: { ...process.env, GH_PG_DIR: dir } },
  )
  watchdog.unref()

  try {
    await initdbFromCache(runner, data)
    let port = 0
    let serverOptions = ''
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      // Durability is worth nothing for a throwaway cluster; without it commits and DDL are cheap.
      serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
      try {
        await pgTool(runner, dir, 'pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', log, '-o', serverOptions])
        break
      } catch (error) {
        // Another process may have taken the port between our probe and the server's bind.
        if (attempt >= 3) throw new Error(`${(error as Error).message}; log: ${tail(log)}`)
      }
    }
    started = true
    const db = (database: string) => encodeURIComponent(database)
    const socketUrl = (database: string) => `postgres://postgres@localhost:${port}/${db(database)}?host=${encodeURIComponent(dir)}`
    const password = randomBytes(18).toString('base64url')
    const admin = async (sql: string) => {
      const client = new Client({ connectionString: socketUrl('postgres') })
      await client.connect()
      try {
        await client.query(sql)
      } finally {
        await client.end()
      }
    }
    await admin(`alter role postgres password ${escapeLiteral(password)}`)
    const url = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${db(database)}`
    return {
      bindir,
      url,
      socketUrl,
      admin,
      async createDatabase(name, options = {}) {
        const ident = (s: string) => `"${s.replace(/"/g, '""')}"`
        await admin(`create database ${ident(name)}${options.template ? ` template ${ident(options.template)}` : ''}`)
        return url(name)
      },
      async pause() {
        if (!started) return
        started = false
        await pgTool(runner, dir, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w'])
      },
      async resume() {
        if (started) return
        await pgTool(runner, dir, 'pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', log, '-o', serverOptions])
        started = true
      },
      async stop() {
        watchdog.kill()
        if (started) {
          started = false
          await pgTool(runner, dir, 'pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']).catch(() => stopNow())
        }
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    stopNow()
    throw error
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ')
  } catch {
    return '(none)'
  }
}
