import { afterEach } from 'vitest'
import type { Store } from '@gatehouse/store'
import { T0 } from '@gatehouse/store/conformance'

/** A clock the test moves by hand. */
export class Clock {
  constructor(public t = T0) {}
  now = () => this.t
  advance(ms: number) {
    this.t += ms
  }
}

/** Stores a test opens, closed after each test: `keep(store)` returns it. */
export function closedAfterEach(): <S extends Store>(store: S) => S {
  const opened: Store[] = []
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })
  return (store) => {
    opened.push(store)
    return store
  }
}
