import { ApiError } from './api.js'
import { duration, formatTime } from './format.js'

/** The gateway's codes in plain words; the code itself is never the whole message. */
const PLAIN: Record<string, string> = {
  ERR_BAD_CREDENTIALS: 'Wrong username or password.',
  ERR_SUSPENDED: 'This account is suspended. Ask an administrator to lift the suspension.',
  ERR_UNAUTHENTICATED: 'Your session has ended. Please log in again.',
  ERR_FORBIDDEN: 'Your account is not allowed to do that.',
  ERR_CROSS_SITE: 'The gateway refused a request that did not come from this page.',
  ERR_NOT_FOUND: 'That no longer exists. The list may be out of date; refresh it.',
  ERR_BAD_REQUEST: 'The gateway did not accept what was sent.',
  ERR_PAYLOAD_TOO_LARGE: 'That is too large to send.',
  ERR_UPSTREAM_UNREACHABLE: 'The service behind the gateway cannot be reached right now. Try again in a moment.',
  ERR_UPSTREAM_TIMEOUT: 'The service behind the gateway took too long to answer.',
  ERR_NOT_READY: 'The gateway is starting or unwell. Try again in a moment.',
  ERR_INTERNAL: 'Something went wrong on the server. Try again; if it keeps happening, tell an administrator.',
  ERR_NETWORK: 'Cannot reach the gateway. Check your connection and try again.',
}

/** A sentence for the person at the keyboard. `context` words a few codes for the form at hand. */
export function describeError(error: unknown, context?: 'password'): string {
  if (!(error instanceof ApiError)) return 'Something went wrong in this page. Reload it and try again.'
  if (error.code === 'ERR_RATE_LIMITED') {
    if (error.retryAfter === undefined) return 'Too many attempts. Wait a little before trying again.'
    const at = new Date(Date.now() + error.retryAfter * 1000)
    return `Too many attempts. Try again in ${duration(error.retryAfter)} (at ${formatTime(at)}).`
  }
  if (context === 'password' && error.code === 'ERR_BAD_CREDENTIALS') return 'The current password is wrong.'
  const plain = PLAIN[error.code]
  if (error.code === 'ERR_BAD_REQUEST' && error.detail) return `${plain} The gateway says: ${error.detail}.`
  if (plain !== undefined) return plain
  if (error.status >= 500) return `The server failed (${error.status}). Try again in a moment.`
  return `The request was refused (${error.status}${error.detail ? `: ${error.detail}` : ''}).`
}
