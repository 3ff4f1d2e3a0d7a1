/** Time as a dependency: every expiry, rotation and limit reads it, so tests move it by hand. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
