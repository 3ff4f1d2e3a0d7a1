import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '@gatehouse/store-sqlite'
import { makeGateway, tempDir } from './helpers.js'
import { REPO_ROOT } from './process.js'

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx')

/**
 * The CLI at a real pseudo-terminal (util-linux `script`): what the terminal shows, and what the
 * CLI read. Each answer is typed only once its prompt is on the screen, as a person would.
 */
async function atTerminal(args: string[], env: Record<string, string>, answers: string[]) {
  const command = [TSX, '--conditions=source', 'apps/gateway/src/cli/main.ts', ...args].join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let screen = ''
  let prompts = 0
  child.stdout.on('data', (d) => {
    screen += String(d)
    const seen = screen.match(/New password \(not shown\): |Again: /g)?.length ?? 0
    while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`)
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, screen }
}

describe('pnpm gatehouse --password-stdin at a terminal', () => {
  it('asks twice with hidden input; the password works and never shows on the screen', async () => {
    const dir = tempDir()
    const env = { GATEHOUSE_DATA_DIR: dir, DATABASE_URL: `file:${join(dir, 'gatehouse.db')}` }
    const secret = 'a typed secret passphrase'
    const { code, screen } = await atTerminal(['user', 'create', 'zed', '--password-stdin'], env, [secret, secret])
    expect(screen).toMatch(/New password \(not shown\): [\s\S]*Again: /)
    expect(screen).not.toContain('typed secret')
    expect(code).toBe(0)
    const gw = await makeGateway({ dir })
    expect((await gw.request('/auth/login', { body: { username: 'zed', password: secret } })).status).toBe(200)
  }, 60_000)

  it('refuses two different answers (exit 2) and creates no user', async () => {
    const dir = tempDir()
    const env = { GATEHOUSE_DATA_DIR: dir, DATABASE_URL: `file:${join(dir, 'gatehouse.db')}` }
    const { code, screen } = await atTerminal(['user', 'create', 'zed', '--password-stdin'], env, ['one long passphrase', 'another long passphrase'])
    expect(code).toBe(2)
    expect(screen).toContain('the two passwords differ')
    const store = createSqliteStore({ path: join(dir, 'gatehouse.db') })
    expect(await store.findUserByUsername('zed')).toBeNull()
    await store.close()
  }, 60_000)
})
