const FIRST_MS = 100
const MAX_MS = 30_000

/** Waits before starting a replacement worker: 100 ms, doubling per replacement that died too, up to 30 s. */
export function restartDelayMs(failuresInARow: number): number {
  return Math.min(MAX_MS, FIRST_MS * 2 ** Math.min(failuresInARow, 20))
}
