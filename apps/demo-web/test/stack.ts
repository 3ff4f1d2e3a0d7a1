import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import { loadConfig } from '../../gateway/src/config/env.js'
import { startChild, stopChildren, waitUntilListening, type RunningChild } from '../../demo/src/children.js'
import { createLogger } from '../../gateway/src/logging/logger.js'
import { startGateway, type RunningGateway } from '../../gateway/src/server.js'
import { freePort } from '../../gateway/test/process.js'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const WEB_DIR = fileURLToPath(new URL('../', import.meta.url))
export const SCREENSHOTS = join(REPO_ROOT, '.artifacts', 'screenshots')

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Builds the app with its own vite.config.ts into a directory of its own (never over dist/). */
export async function buildWebApp(outDir: string): Promise<void> {
  await build({
    root: WEB_DIR,
    configFile: join(WEB_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
}

export interface Stack {
  origin: string
  gateway: RunningGateway
  close(): Promise<void>
}

/**
 * The real thing on free ports of 127.0.0.1: both demo services as processes (as `pnpm demo` runs
 * them), and the gateway in this process serving the built app, so a test can seed users.
 */
export async function startStack(webRoot: string, options: { port?: number; env?: Record<string, string> } = {}): Promise<Stack> {
  const dir = tempDir('gatehouse-browser-')
  const [port, ordersPort, profilePort] = await Promise.all([options.port ?? freePort(), freePort(), freePort()])
  const origin = `http://127.0.0.1:${port}`
  const serviceEnv = { HOST: '127.0.0.1', GATEHOUSE_URL: origin, GATEHOUSE_PUBLIC_ORIGIN: origin }
  const services: RunningChild[] = []
  const quiet = () => {}
  try {
    services.push(
      startChild(REPO_ROOT, { name: 'orders', entry: 'apps/demo-orders/src/main.ts', port: ordersPort, env: serviceEnv }, quiet),
      startChild(REPO_ROOT, { name: 'profile', entry: 'apps/demo-profile/src/main.ts', port: profilePort, env: serviceEnv }, quiet),
    )
    await Promise.all(services.map((s) => waitUntilListening(s, '127.0.0.1')))
    const config = loadConfig(
      {
        HOST: '127.0.0.1',
        PORT: String(port),
        GATEHOUSE_PUBLIC_ORIGIN: origin,
        GATEHOUSE_UPSTREAMS: `orders=http://127.0.0.1:${ordersPort},profile=http://127.0.0.1:${profilePort}`,
        GATEHOUSE_WEB_ROOT: webRoot,
        // The demo's own route rules, as `pnpm demo` runs it.
        GATEHOUSE_CONFIG: join(REPO_ROOT, 'apps', 'demo', 'routes.json'),
        GATEHOUSE_ROLES: 'admin,user,auditor',
        GATEHOUSE_DATA_DIR: dir,
        DATABASE_URL: `file:${join(dir, 'gatehouse.db')}`,
        GATEHOUSE_COOKIE_SECRET: 'browser-test-cookie-secret-0123456789-abcdef',
        GATEHOUSE_MASTER_KEY: 'browser-test-master-key-0123456789-abcdefghij',
        ...options.env,
      },
      dir,
    )
    const gateway = await startGateway(config, { logger: createLogger('silent') })
    return {
      origin,
      gateway,
      async close() {
        await gateway.close(1000)
        await stopChildren(services)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await stopChildren(services)
    throw error
  }
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true })
  return join(SCREENSHOTS, `${name}.png`)
}
