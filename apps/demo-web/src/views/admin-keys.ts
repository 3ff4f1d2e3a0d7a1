import { call } from '../api.js'
import { busy, h } from '../dom.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import type { RotationResult } from '../types.js'
import { button } from './common.js'

/** Signing-key rotation: normal (old keys stay published until their tokens expire) or emergency. */
export function keysPanel(options: { changed(): Promise<void> }): HTMLElement {
  const message = createNotice()

  async function rotate(control: HTMLButtonElement, emergency: boolean) {
    await busy(control, async () => {
      try {
        const result = await call<RotationResult>('/admin/keys/rotate', { method: 'POST', body: { emergency } })
        const retired = result.retired.length > 0 ? ` Retired: ${result.retired.join(', ')}.` : ''
        const what = emergency ? 'Emergency rotation done: older keys are no longer published.' : 'Key rotated: older keys stay published until their tokens expire.'
        message.show(`${what} New key ${result.kid} (${result.alg}).${retired}`, 'success')
        await options.changed()
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

  return h(
    'div',
    {},
    h('p', {}, 'The gateway signs the JWTs it sends to services with one key at a time; services fetch the public keys from /.well-known/jwks.json.'),
    h('div', { class: 'actions' }, normal, emergency),
    confirmBox,
    message.el,
  )
}
