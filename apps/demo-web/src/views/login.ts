import { call } from '../api.js'
import { busy, field, h } from '../dom.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import type { ViewContext } from '../router.js'
import { auth } from '../state.js'
import type { Me } from '../types.js'
import { screen } from './common.js'
import { holdUntilRetry, isRateLimited } from './retry-countdown.js'
import { loginOptions, providerButtons, takeLoginError } from './login-providers.js'

export async function loginView(ctx: ViewContext): Promise<HTMLElement> {
  const message = createNotice()
  const options = await loginOptions()
  const loginError = takeLoginError()
  if (loginError !== undefined) ctx.notice.show(loginError, 'error')
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 128, autocapitalize: 'none', spellcheck: 'false' })
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  const deviceName = h('input', { name: 'deviceName', autocomplete: 'off', maxlength: 64, placeholder: 'e.g. Work laptop' })

  const form = h(
    'form',
    { class: 'card form narrow' },
    field('Username', username),
    field('Password', password),
    field('Device name (optional)', deviceName, 'Shown in your list of devices, so you can tell them apart.'),
    message.el,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    let limited: number | undefined
    void busy(form, async () => {
      message.clear()
      // A new attempt: the banner of an earlier answer no longer applies.
      ctx.notice.clear()
      try {
        const device = deviceName.value.trim()
        const me = await call<Me>('/auth/login', {
          method: 'POST',
          body: { username: username.value.trim(), password: password.value, ...(device ? { deviceName: device } : {}) },
        })
        password.value = ''
        auth.set(me)
        ctx.notice.clear()
        ctx.home()
      } catch (error) {
        password.value = ''
        if (isRateLimited(error)) limited = error.retryAfter
        else message.show(describeError(error), 'error')
        password.focus()
      }
    }).then(() => {
      if (limited !== undefined) holdUntilRetry(message, form, limited)
    })
  })

  return screen(
    'Log in',
    'After you log in, this browser holds one encrypted, HttpOnly cookie. The page itself never sees a token.',
    ...(options.localLogin ? [form] : []),
    providerButtons(options),
  )
}
