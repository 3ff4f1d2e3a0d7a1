import { existsSync, readFileSync } from 'node:fs'
import { expect } from 'vitest'

// Values that appear nowhere else, so finding their bytes in the file means they leaked.
export const PROBE_IP = '198.51.100.203'
export const PROBE_UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 PrivacyProbe/7.7.7'
export const PROBE_DEVICE = 'Zebulon work laptop'

/** Every byte SQLite keeps for this database: the file, its WAL and its shared-memory index. */
export function sqliteBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((p) => readFileSync(p)))
}

export function expectNoneIn(bytes: Buffer, values: string[]): void {
  for (const value of values) {
    expect(bytes.includes(Buffer.from(value, 'utf8')), `"${value}" in clear`).toBe(false)
    expect(bytes.includes(Buffer.from(value, 'utf16le')), `"${value}" in clear (UTF-16)`).toBe(false)
  }
}
