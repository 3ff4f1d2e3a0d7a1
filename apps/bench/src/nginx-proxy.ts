import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NGINX_BIN, nginxMissing, nginxSiteConfig, startNginx } from '../../gateway/test/nginx.js'
import { freePort } from '../../gateway/test/process.js'
import { processTreeCpuUs } from './proc-cpu.js'

/** e.g. "nginx/1.22.1" (`nginx -v` prints to stderr). */
export function nginxVersion(): string {
  const { stdout, stderr } = spawnSync(NGINX_BIN, ['-v'], { encoding: 'utf8' })
  return /nginx\/[\w.]+/.exec(`${stdout}${stderr}`)?.[0] ?? 'nginx'
}

/**
 * The master's pid from its pid file (`daemon off`: the process startNginx spawned). nginx opens
 * its sockets before it writes the file, so the port can answer a moment before the file exists.
 */
async function masterPid(dir: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    let pid = Number.NaN
    try {
      pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim())
    } catch {
      // not written yet
    }
    if (Number.isInteger(pid) && pid > 0) return pid
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`nginx wrote no pid file in ${dir}`)
}

/** nginx proxying `/api/bench/` to the bench's upstream: the hot path's reference row. */
export interface NginxProxy {
  url: string
  /** e.g. "nginx/1.22.1" */
  version: string
  /** CPU time (user + system) of the master and its worker so far, µs, from /proc. */
  cpuUs(): number
  stop(): Promise<void>
}

/**
 * Debian's nginx with one worker and the README's site without `auth_request` (the tests' and the
 * forward-auth phase's config, from apps/gateway/test/nginx.ts: keepalive 32 to the upstream,
 * HTTP/1.1, X-Forwarded-For added); only `/api/bench/` is requested. Or why not: no nginx, or no
 * /proc to read its CPU from (the row's point).
 */
export async function startNginxProxy(upstreamUrl: string, gatewayUrl: string): Promise<{ nginx: NginxProxy; skipReason?: undefined } | { nginx?: undefined; skipReason: string }> {
  const missing = nginxMissing()
  if (missing !== undefined) return { skipReason: missing }
  const port = await freePort()
  const running = await startNginx(port, nginxSiteConfig({ port, gatewayUrl, services: { bench: upstreamUrl }, auth: 'none' }))
  let master: number
  try {
    master = await masterPid(running.dir)
  } catch (error) {
    await running.stop()
    throw error
  }
  if (processTreeCpuUs(master) === undefined) {
    await running.stop()
    return { skipReason: `the CPU of nginx (pid ${master}) cannot be read from /proc` }
  }
  return {
    nginx: {
      url: running.url,
      version: nginxVersion(),
      cpuUs: () => {
        const us = processTreeCpuUs(master)
        if (us === undefined) throw new Error(`nginx (pid ${master}) is gone: ${running.errors()}`)
        return us
      },
      stop: () => running.stop(),
    },
  }
}
