import { availableParallelism } from 'node:os'
import { ConfigError } from '../errors.js'

/** More would only add processes that compete for the same cores and store. */
export const MAX_WORKERS = 256

/**
 * GATEHOUSE_WORKERS: how many processes serve the port. A positive integer, or `auto` for one per
 * core the process may use (`os.availableParallelism()`); 1 (the default) is a single process.
 */
export function parseWorkers(value: string | undefined, cores: () => number = availableParallelism): number {
  if (value === undefined || value.trim() === '') return 1
  const text = value.trim()
  if (text === 'auto') return Math.max(1, Math.min(MAX_WORKERS, cores()))
  if (!/^\d+$/.test(text)) throw new ConfigError('GATEHOUSE_WORKERS', `"${value}" is not a positive integer or "auto"`)
  const n = Number(text)
  if (n < 1 || n > MAX_WORKERS) throw new ConfigError('GATEHOUSE_WORKERS', `must be between 1 and ${MAX_WORKERS} (or "auto"), not ${text}`)
  return n
}
