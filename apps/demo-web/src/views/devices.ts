import { call } from '../api.js'
import { busy, h, replaceChildren } from '../dom.js'
import { formatDateTime, fromNow } from '../format.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import type { ViewContext } from '../router.js'
import { auth } from '../state.js'
import type { Device } from '../types.js'
import { badge, button, card, screen } from './common.js'

export async function devicesView(ctx: ViewContext): Promise<HTMLElement> {
  const message = createNotice()
  const list = h('ul', { class: 'devices', 'aria-label': 'Devices signed in to your account' })

  /** Ends the session(s) and, when this browser's is among them, goes back to the login form. */
  async function endSessions(control: HTMLButtonElement, path: string, after: { signedOut: boolean; text: string }) {
    await busy(control, async () => {
      try {
        await call(path, { method: 'DELETE' })
      } catch (error) {
        message.show(describeError(error), 'error')
        return
      }
      if (after.signedOut) {
        auth.clear()
        ctx.notice.show(after.text, 'success')
        ctx.navigate('/login')
        return
      }
      await load()
      message.show(after.text, 'success')
    })
  }

  function deviceItem(d: Device): HTMLElement {
    const revoke: HTMLButtonElement = button(
      d.current ? 'Log out this device' : 'Revoke',
      () =>
        void endSessions(revoke, `/auth/sessions/${encodeURIComponent(d.id)}`, {
          signedOut: d.current,
          text: d.current ? 'You are logged out.' : `“${d.deviceName}” is logged out.`,
        }),
      { kind: 'danger', label: d.current ? 'Log out this device' : `Revoke ${d.deviceName}` },
    )
    return h(
      'li',
      { class: d.current ? 'device current' : 'device' },
      h(
        'div',
        { class: 'device-main' },
        h('p', { class: 'device-name' }, h('strong', {}, d.deviceName), ' ', d.current ? badge('This device', 'ok') : null),
        d.userAgent ? h('p', { class: 'muted small ua' }, d.userAgent) : null,
        h('p', { class: 'muted small' }, `Signed in ${formatDateTime(d.createdAt)} · last active ${fromNow(d.lastSeenAt)}`),
        h('p', { class: 'muted small device-where' }, `Network ${d.network ?? 'unknown'} · id ${d.shortId ?? d.id.slice(0, 8)}`),
      ),
      revoke,
    )
  }

  async function load(): Promise<void> {
    const { sessions } = await call<{ sessions: Device[] }>('/auth/sessions')
    // This device first, then the most recently active.
    sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt))
    replaceChildren(list, ...sessions.map(deviceItem))
  }

  await load()

  const others: HTMLButtonElement = button(
    'Log out other devices',
    () => void endSessions(others, '/auth/sessions?except=current', { signedOut: false, text: 'Every other device is logged out.' }),
  )
  const everywhere: HTMLButtonElement = button(
    'Log out everywhere',
    () => void endSessions(everywhere, '/auth/sessions', { signedOut: true, text: 'You are logged out on every device, this one included.' }),
    { kind: 'danger' },
  )
  const refresh: HTMLButtonElement = button('Refresh', () =>
    void busy(refresh, async () => {
      message.clear()
      await load().catch((error: unknown) => message.show(describeError(error), 'error'))
    }),
  )

  return screen(
    'Your devices',
    'Every browser signed in to your account. Revoking one logs it out at once: its next request is refused, and within a second the services refuse even a token already handed to them for it (the gateway\'s revocation feed).',
    card('Signed in now', message.el, list, h('div', { class: 'actions' }, refresh, others, everywhere)),
  )
}
