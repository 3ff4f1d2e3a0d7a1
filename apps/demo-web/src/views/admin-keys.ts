import { call } from '../api.js'
import { busy, h } from '../dom.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import type { PublishedKey, RotationResult } from '../types.js'
import { formatDateTimeSeconds, formatTime } from '../format.js'
import { replaceChildren } from '../dom.js'
import { badge, button } from './common.js'

const STATE: Record<PublishedKey['state'], { label: string; kind: 'ok' | 'warn' | 'info' }> = {
  next: { label: 'published, signs soon', kind: 'info' },
  signing: { label: 'signing', kind: 'ok' },
  retiring: { label: 'no longer signs', kind: 'warn' },
}

function keyRow(k: PublishedKey): HTMLElement {
  const when =
    k.state === 'next'
      ? `Signs from ${formatDateTimeSeconds(k.signsFrom)}.`
      : k.state === 'signing'
        ? `Signs since ${formatDateTimeSeconds(k.signsFrom)}${k.signsUntil ? `, until ${formatDateTimeSeconds(k.signsUntil)}` : ''}.`
        : `Signed until ${formatDateTimeSeconds(k.signsUntil ?? k.signsFrom)}; stays in the JWKS until ${k.publishedUntil ? formatDateTimeSeconds(k.publishedUntil) : '—'} so its tokens still verify.`
  return h(
    'tr',
    { 'data-state': k.state },
    h('td', {}, h('code', {}, k.kid)),
    h('td', {}, k.alg),
    h('td', {}, badge(STATE[k.state].label, STATE[k.state].kind)),
    h('td', {}, `Published ${formatDateTimeSeconds(k.createdAt)}. ${when}`),
  )
}

/** Signing-key rotation: normal (old keys stay published until their tokens expire) or emergency. */
export function keysPanel(options: { changed(): Promise<void> }): HTMLElement {
  const message = createNotice()

  async function rotate(control: HTMLButtonElement, emergency: boolean) {
    await busy(control, async () => {
      try {
        const r = await call<RotationResult>('/admin/keys/rotate', { method: 'POST', body: { emergency } })
        message.show(
          emergency
            ? `Emergency rotation done: new key ${r.kid} (${r.alg}) signs now. Dropped from the JWKS: ${r.dropped.join(', ') || 'none'}.`
            : `New key ${r.kid} (${r.alg}) is published now and signs from ${formatTime(new Date(r.signsFrom))}, once services have had time to fetch it. Until then the current key signs; it then stays published until the tokens it signed have expired.`,
          'success',
        )
        await Promise.all([options.changed(), load()])
      } catch (error) {
        message.show(describeError(error), 'error')
      }
    })
  }

  const normal: HTMLButtonElement = button('Rotate signing key', () => void rotate(normal, false), { kind: 'primary' })
  // The emergency rotation logs every service out of its cached tokens: it asks once more, in the page.
  const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'group', 'aria-label': 'Confirm emergency rotation' })
  const yes: HTMLButtonElement = button('Yes, drop the old keys now', () => {
    void rotate(yes, true).then(() => {
      confirmBox.hidden = true
      emergency.focus()
    })
  }, { kind: 'danger' })
  const cancel = button('Cancel', () => {
    confirmBox.hidden = true
    emergency.focus()
  })
  confirmBox.append(
    h('p', {}, 'An emergency rotation removes every older key from the JWKS at once: tokens they signed stop working at every service. Use it when a key may have leaked.'),
    h('div', { class: 'actions' }, yes, cancel),
  )
  const emergency: HTMLButtonElement = button('Emergency rotation…', () => {
    message.clear()
    confirmBox.hidden = false
    yes.focus()
  }, { kind: 'danger' })

  const rows = h('tbody', {})
  async function load(): Promise<void> {
    try {
      const { keys } = await call<{ keys: PublishedKey[] }>('/admin/keys')
      replaceChildren(rows, ...keys.map(keyRow))
    } catch (error) {
      message.show(describeError(error), 'error')
    }
  }
  void load()
  const table = h(
    'table',
    { class: 'keys', 'aria-label': 'Published signing keys' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key id (kid)'), h('th', { scope: 'col' }, 'Alg'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Times'))),
    rows,
  )

  return h(
    'div',
    {},
    h('p', {}, 'The gateway signs the JWTs it sends to services with one key at a time; services fetch the public keys from ', h('a', { href: '/.well-known/jwks.json' }, '/.well-known/jwks.json'), '. Every published key:'),
    table,
    h('div', { class: 'actions' }, normal, emergency),
    confirmBox,
    message.el,
  )
}
