import { ApiError, call, callRaw } from '../api.js'
import { busy, h, replaceChildren } from '../dom.js'
import { formatDateTime } from '../format.js'
import { describeError } from '../messages.js'
import { auth } from '../state.js'
import type { Me } from '../types.js'
import { badge, button, card, facts, screen } from './common.js'
import { sessionCountdown, type Countdown } from './countdown.js'

const SERVICES = [
  { label: 'Call the orders service', path: '/api/orders/orders' },
  { label: 'Call the profile service', path: '/api/profile/me' },
] as const

function whoAmI(me: Me, countdown: Countdown): HTMLElement {
  const { user, session } = me
  return card(
    'Signed in',
    facts([
      ['User', h('strong', {}, user.username)],
      ['Roles', user.roles.length > 0 ? h('span', { class: 'badges' }, ...user.roles.map((r) => badge(r))) : 'none'],
      ['Signed in with', session.provider ? `the identity provider “${session.provider}”` : 'a password, here'],
      ['This device', session.deviceName],
      ['Signed in at', formatDateTime(session.createdAt)],
      ['Session expires', countdown.el],
      ...(session.absoluteExpiresAt ? [['At the latest', formatDateTime(session.absoluteExpiresAt)] as [string, string]] : []),
    ]),
  )
}

/** A service's answer as it came through the gateway: status, type and body. */
function answerView(path: string, status: number, contentType: string, body: unknown): HTMLElement {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2)
  return h(
    'figure',
    { class: 'answer' },
    h('figcaption', {}, h('code', {}, `GET ${path}`), ' answered ', h('strong', {}, String(status)), contentType ? ` (${contentType.split(';')[0]})` : ''),
    h('pre', { tabindex: 0, 'aria-label': `Answer of ${path}` }, text),
  )
}

/** One service: its button, and its last answer (or why there was none) beneath. */
function serviceColumn(label: string, path: string, afterCall: () => void): HTMLElement {
  const output = h('div', { class: 'answers', 'aria-live': 'polite' })
  const b: HTMLButtonElement = button(
    label,
    () =>
      void busy(b, async () => {
        try {
          const answer = await callRaw(path)
          replaceChildren(output, answerView(path, answer.status, answer.contentType, answer.body))
          afterCall()
        } catch (error) {
          const code = error instanceof ApiError ? ` (${error.status} ${error.code})` : ''
          replaceChildren(output, h('p', { class: 'notice notice-error', role: 'alert' }, `${describeError(error)}${code}`))
        }
      }),
    { kind: 'primary' },
  )
  return h('div', { class: 'service' }, b, output)
}

function servicesCard(afterCall: () => void): HTMLElement {
  return card(
    'Call a service through the gateway',
    h(
      'p',
      {},
      'The gateway swaps your cookie for a short-lived JWT meant for that one service. The service checks it; this page never sees it.',
    ),
    h('div', { class: 'services' }, ...SERVICES.map(({ label, path }) => serviceColumn(label, path, afterCall))),
  )
}

/** Where the identity provider's tokens are after a sign-in there: on the gateway, not here. */
function idpTokensCard(provider: string): HTMLElement {
  return card(
    'Where your tokens are',
    h('p', {}, `You signed in at the identity provider “${provider}”. It gave the gateway three tokens; this browser got none of them:`),
    h(
      'ul',
      {},
      h('li', {}, h('strong', {}, 'ID token'), ': who you are, checked by the gateway (signature, issuer, audience, nonce, expiry), then kept for logging out at the IdP.'),
      h('li', {}, h('strong', {}, 'Access token'), ': sent by the gateway to services whose route asks for it, refreshed before it expires.'),
      h('li', {}, h('strong', {}, 'Refresh token'), ': used by the gateway alone; revoked at the IdP when you log out.'),
    ),
    h('p', {}, 'All three are stored encrypted in the gateway’s database, tied to this session. This page holds one HttpOnly cookie it cannot read, and no token at all.'),
  )
}

export async function homeView(): Promise<HTMLElement> {
  // Asked afresh, so the expiry shown is the gateway's current answer.
  const me = await call<Me>('/auth/session')
  auth.set(me)
  const countdown = sessionCountdown(me)
  // Each call moved the idle deadline: show the gateway's new one.
  return screen(
    'Who am I',
    null,
    whoAmI(me, countdown),
    ...(me.session.provider ? [idpTokensCard(me.session.provider)] : []),
    servicesCard(() => void countdown.refresh()),
  )
}
