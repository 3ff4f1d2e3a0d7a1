import type { Me } from './types.js'

// Who is signed in, as the gateway last said: memory only, gone on reload (the page asks again).
let current: Me | null = null

export const auth = {
  get: (): Me | null => current,
  set(me: Me): void {
    current = me
  },
  clear(): void {
    current = null
  },
}

export function isAdmin(me: Me | null): boolean {
  return me?.user.roles.includes('admin') ?? false
}
