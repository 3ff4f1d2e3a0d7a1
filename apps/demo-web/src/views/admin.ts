import { h } from '../dom.js'
import { describeError } from '../messages.js'
import { createNotice } from '../notice.js'
import { auth } from '../state.js'
import { auditPanel } from './admin-audit.js'
import { keysPanel } from './admin-keys.js'
import { usersPanel } from './admin-users.js'
import { button, card, screen } from './common.js'

export async function adminView(): Promise<HTMLElement> {
  const message = createNotice()
  const auditMessage = createNotice()
  const audit = auditPanel()
  let usernames = new Map<string, string>()

  const loadAudit = () => audit.load(usernames).catch((error: unknown) => auditMessage.show(describeError(error), 'error'))
  const users = usersPanel({
    selfId: auth.get()?.user.id ?? '',
    message,
    async changed() {
      usernames = await users.load().catch((error: unknown) => {
        message.show(describeError(error), 'error')
        return usernames
      })
      await loadAudit()
    },
  })
  usernames = await users.load()
  await audit.load(usernames)

  const refreshAudit: HTMLButtonElement = button('Refresh events', () => {
    auditMessage.clear()
    refreshAudit.disabled = true
    void loadAudit().finally(() => (refreshAudit.disabled = false))
  })

  return screen(
    'Administration',
    'Users, signing keys and the audit log. Every change here is written to the audit log.',
    card('Users', h('p', { class: 'muted small' }, 'Saving new roles, suspending a user or logging them out ends their sessions at once.'), message.el, users.el),
    card('Signing keys', keysPanel({ changed: loadAudit })),
    card('Recent audit events', h('div', { class: 'actions' }, refreshAudit), auditMessage.el, audit.el),
  )
}
