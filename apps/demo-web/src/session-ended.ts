/**
 * The gateway's `reason` on the 401 of a session that ended (CONTRACT section 2), in the words
 * of the person it happened to. Unknown or missing reasons get the general sentence.
 */
const WHY: Record<string, string> = {
  logged_out: 'This session was logged out (in another tab or window).',
  device_revoked: 'You were signed out from another device.',
  logout_everywhere: 'You were signed out from another device (it logged out the others).',
  password_changed: 'Your password was changed on another device, which signs out every other one.',
  roles_changed: 'An administrator changed your roles; your next session carries the new ones.',
  suspended: 'An administrator suspended your account.',
  user_deleted: 'Your account was deleted.',
  admin_revoked: 'An administrator ended your sessions.',
  expired: 'Your session expired: it was idle too long, or reached its maximum lifetime.',
  evicted: 'You signed in on more devices than allowed; this one, the least recently used, was signed out.',
  reuse_detected: 'An old copy of your session cookie was used after it had been replaced, so the gateway ended the session in case it was stolen.',
  cookie_secret_removed: 'The gateway retired the secret your session cookie was sealed with.',
  idp_logout: 'You signed out at your identity provider.',
  idp_revoked: 'Your identity provider ended your access.',
  anomaly: 'The gateway noticed something unusual about this session (another browser or network) and ended it to be safe.',
}

export function whySessionEnded(reason: string | undefined): string {
  return (reason !== undefined && WHY[reason]) || 'Your session has ended.'
}
