import { call } from '../api.js'
import { busy, field, h } from '../dom.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import type { ViewContext } from '../router.js'
import { screen } from './common.js'
import { holdUntilRetry, isRateLimited } from './retry-countdown.js'

const MIN_LENGTH = 8

export function passwordView(ctx: ViewContext): HTMLElement {
  const message = createNotice()
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true })
  const next = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_LENGTH })
  const confirm = h('input', { name: 'confirmPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_LENGTH })

  const form = h(
    'form',
    { class: 'card form narrow' },
    field('Current password', current),
    field('New password', next, `At least ${MIN_LENGTH} characters.`),
    field('New password, again', confirm),
    message.el,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Change password')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    message.clear()
    ctx.notice.clear()
    if (next.value !== confirm.value) {
      message.show('The two new passwords differ. Type the same one twice.', 'error')
      confirm.focus()
      return
    }
    let limited: number | undefined
    void busy(form, async () => {
      try {
        await call('/auth/password', { method: 'POST', body: { currentPassword: current.value, newPassword: next.value } })
        form.reset()
        message.show('Password changed. Every other device was logged out; this one stays signed in.', 'success')
      } catch (error) {
        current.value = ''
        if (isRateLimited(error)) limited = error.retryAfter
        else message.show(describeError(error, 'password'), 'error')
        current.focus()
      }
    }).then(() => {
      if (limited !== undefined) holdUntilRetry(message, form, limited)
    })
  })

  return screen('Change password', 'Changing your password logs out every other device signed in to your account.', form)
}
