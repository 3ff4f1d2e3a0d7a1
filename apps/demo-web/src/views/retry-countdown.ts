import { ApiError } from '../api.js'
import { duration, formatTime } from '../format.js'
import type { Notice } from '../notice.js'

/** True for a 429 that says how long to wait. */
export function isRateLimited(error: unknown): error is ApiError & { retryAfter: number } {
  return error instanceof ApiError && error.code === 'ERR_RATE_LIMITED' && error.retryAfter !== undefined
}

/**
 * After a 429: the message counts down to the moment the gateway will listen again, and the
 * form's buttons stay disabled until then (pressing them sooner would only be refused, and would
 * lengthen a lockout that doubles). The first sentence is announced; the ticking is not.
 */
export function holdUntilRetry(message: Notice, form: HTMLFormElement, retryAfterS: number): void {
  const until = Date.now() + retryAfterS * 1000
  const buttons = [...form.querySelectorAll('button')]
  const text = (s: number) => `Too many attempts. Try again in ${duration(s)} (at ${formatTime(new Date(until))}).`
  for (const b of buttons) b.disabled = true
  message.show(text(retryAfterS), 'error')
  const timer = setInterval(() => {
    const left = Math.ceil((until - Date.now()) / 1000)
    if (!message.el.isConnected || left <= 0) {
      clearInterval(timer)
      for (const b of buttons) b.disabled = false
      message.el.setAttribute('aria-live', 'polite')
      if (message.el.isConnected) message.show('You can try again now.', 'info')
      return
    }
    message.el.setAttribute('aria-live', 'off')
    message.el.textContent = text(left)
  }, 1000)
}
