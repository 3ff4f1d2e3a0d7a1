import { call } from '../api.js'
import { h } from '../dom.js'
import { formatTime } from '../format.js'
import { auth } from '../state.js'
import type { Me } from '../types.js'

/** "44 seconds", "29 min 5 s", "3 h 12 min": what is left, precise where it matters. */
export function remaining(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`
  return `${Math.floor(seconds / 86_400)} days`
}

export interface Countdown {
  el: HTMLElement
  /** The gateway's latest word on the session (each request moves the idle deadline). */
  update(me: Me): void
  /** Asks the gateway afresh. */
  refresh(): Promise<void>
}

/**
 * The session's end, ticking each second. It tells the truth: the deadline is the gateway's
 * (re-read after every call this page makes), and when it is reached the page asks the gateway,
 * which either says the session ended (the app shows why) or names a later deadline (another
 * tab kept it alive).
 */
export function sessionCountdown(initial: Me): Countdown {
  const el = h('span', { class: 'countdown', 'data-testid': 'countdown' })
  let expiresAt = Date.parse(initial.session.expiresAt)
  let asking = false
  let shown = false
  const refresh = async () => {
    asking = true
    try {
      const me = await call<Me>('/auth/session')
      auth.set(me)
      expiresAt = Date.parse(me.session.expiresAt)
    } catch {
      // A 401 has already sent the page to the login form with the reason.
    } finally {
      asking = false
    }
  }
  const tick = () => {
    if (el.isConnected) shown = true
    else if (shown) return clearInterval(timer)
    const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000))
    el.textContent =
      left > 0 ? `in ${remaining(left)} (at ${formatTime(new Date(expiresAt))}) unless you keep using it` : 'now: checking with the gateway…'
    if (left === 0 && !asking) void refresh().then(tick)
  }
  const timer = setInterval(tick, 1000)
  tick()
  return {
    el,
    update(me) {
      expiresAt = Date.parse(me.session.expiresAt)
      tick()
    },
    refresh: () => refresh().then(tick),
  }
}
