/** What pino writes to (its DestinationStream, structurally). */
export interface LineSink {
  write(chunk: string): void
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'requestId'])

/** One pino JSON line as one short line: `[gateway] GET /api/orders/orders 200 3.1ms`. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return `[gateway] ${json.trim()}`
  }
  const level = LEVELS[entry.level as number] ?? String(entry.level)
  if (entry.msg === 'request') return `[gateway] ${entry.method} ${entry.path} ${entry.status} ${entry.ms}ms`
  const err = entry.err as { message?: string } | undefined
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k) && k !== 'err')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  return [`[gateway] ${level === 'info' ? '' : `${level} `}${String(entry.msg ?? '')}`, ...fields, err?.message ? `(${err.message})` : '']
    .filter((p) => p !== '')
    .join(' ')
}

/** A pino destination that prints each line readably (the demo's console is read by people). */
export function prettyDestination(write: (line: string) => void): LineSink {
  return { write: (chunk: string) => chunk.split('\n').filter((l) => l.trim() !== '').forEach((l) => write(prettyLine(l))) }
}
