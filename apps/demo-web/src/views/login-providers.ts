import { call } from '../api.js'
import { h } from '../dom.js'
import type { LoginOptions } from '../types.js'

/** Why the gateway sent the browser back from an identity provider without a session. */
const LOGIN_ERRORS: Record<string, string> = {
  idp_error: 'The identity provider did not sign you in.',
  idp_unavailable: 'The identity provider cannot be reached right now. Try again in a moment.',
  not_linked: 'Your identity provider account is not linked to a user here. Ask an administrator.',
  suspended: 'This account is suspended. Ask an administrator to lift the suspension.',
  state_unknown: 'That sign-in had expired or was already used. Please start again.',
  browser_mismatch: 'That sign-in was started in another browser. Please start again here.',
}

/** The `loginError` the gateway put in the address, in plain words (and removed from the address). */
export function takeLoginError(): string | undefined {
  const code = new URLSearchParams(location.search).get('loginError')
  if (code === null) return undefined
  history.replaceState(null, '', location.pathname + location.hash)
  return LOGIN_ERRORS[code] ?? `The sign-in with the identity provider failed (${code}). Please start again.`
}

export async function loginOptions(): Promise<LoginOptions> {
  try {
    return await call<LoginOptions>('/auth/oidc/providers')
  } catch {
    return { localLogin: true, providers: [] }
  }
}

/** "Sign in with …" links: a full-page visit, so the IdP's page is a real page of its own. */
export function providerButtons(options: LoginOptions): HTMLElement | null {
  if (options.providers.length === 0) return null
  return h(
    'div',
    { class: 'card form narrow' },
    ...options.providers.map((p) => h('a', { class: 'btn btn-primary', href: `${p.loginUrl}?returnTo=${encodeURIComponent('/')}` }, `Sign in with ${p.displayName}`)),
    h(
      'p',
      { class: 'muted small' },
      'You sign in on the identity provider’s own page. Its tokens then stay on the gateway, encrypted; this page and this browser never hold any of them.',
    ),
  )
}
