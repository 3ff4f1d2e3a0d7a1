import type { Store } from '@gatehouse/store'
import type { GatewayConfig } from '../config/config.js'
import type { Clock } from '../clock.js'
import type { Core } from '../core.js'

export const EXIT_OK = 0
export const EXIT_REFUSED = 1
export const EXIT_USAGE = 2

/** Bad usage: exit status 2 and the usage text. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE'
}

export interface CliIo {
  env: Record<string, string | undefined>
  cwd: string
  readStdin(): Promise<string>
  out(line: string): void
  err(line: string): void
}

export interface CliContext {
  io: CliIo
  config: GatewayConfig
  store: Store
  core: Core
  clock: Clock
  /** Recorded as `by` in the audit trail. */
  actor: { actor: string; clientIp: string; userAgent: string }
}

/** `--password-stdin`: the first line of standard input, so it never shows in `ps` or history. */
export async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = await io.readStdin()
  const line = text.split(/\r?\n/)[0] ?? ''
  if (line.length === 0) throw new UsageError('--password-stdin: standard input is empty')
  return line
}
