import { call } from '../api.js'
import { busy, h, replaceChildren } from '../dom.js'
import { formatDateTime, fromNow } from '../format.js'
import { describeError } from '../messages.js'
import type { Notice } from '../notice.js'
import type { AdminUser, Device, LinkedIdentity, SessionAnomaly } from '../types.js'
import { badge, button } from './common.js'

export interface UsersPanel {
  el: HTMLElement
  /** Reloads the users and their sessions; resolves with id -> username for the audit list. */
  load(): Promise<Map<string, string>>
}

const userPath = (id: string, rest = '') => `/admin/users/${encodeURIComponent(id)}${rest}`

function parseRoles(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((r) => r.trim()).filter((r) => r.length > 0))]
}

/** Users with their live sessions, and what an admin can do to each (CONTRACT.md section 5). */
export function usersPanel(options: { selfId: string; message: Notice; changed(): Promise<void> }): UsersPanel {
  const { selfId, message } = options
  const list = h('ul', { class: 'users', 'aria-label': 'Users' })
  const known = h('p', { class: 'muted small', 'data-testid': 'known-roles' })

  /** Runs an admin action, then redraws users and audit events so both show its effect. */
  async function act(control: HTMLButtonElement | HTMLFormElement, text: string, action: () => Promise<unknown>) {
    await busy(control, async () => {
      try {
        await action()
      } catch (error) {
        message.show(describeError(error), 'error')
        return
      }
      await options.changed()
      message.show(text, 'success')
    })
  }

  const ANOMALY_NAMES: Record<string, string> = {
    userAgentChange: 'browser or system changed',
    networkChange: 'network changed',
    forbiddenBurst: 'many refused requests',
  }
  /** "Flagged: network changed (from 203.0.113.5, 2 min ago)" for the newest flag of a session. */
  function flagged(anomalies: SessionAnomaly[] | undefined): HTMLElement | null {
    const newest = anomalies?.[0]
    if (newest === undefined) return null
    const what = newest.anomalies.map((a) => ANOMALY_NAMES[a] ?? a).join(', ')
    const from = newest.clientIp === null ? '' : `from ${newest.clientIp}, `
    const more = anomalies!.length > 1 ? ` (${anomalies!.length} flags)` : ''
    return h('span', { class: 'session-flag' }, ' ', badge('flagged', 'warn'), h('span', { class: 'small' }, ` ${what} (${from}${fromNow(newest.at)})${more}`))
  }

  function sessionsList(sessions: Device[]): HTMLElement {
    if (sessions.length === 0) return h('p', { class: 'muted small' }, 'No active sessions.')
    return h(
      'ul',
      { class: 'user-sessions' },
      ...sessions.map((s) =>
        h(
          'li',
          {},
          h('strong', {}, s.deviceName),
          h('span', { class: 'muted small' }, ` · ${s.clientIp ?? 'unknown address'} · active ${fromNow(s.lastSeenAt)}`),
          flagged(s.anomalies),
        ),
      ),
    )
  }

  function identitiesList(identities: LinkedIdentity[]): HTMLElement {
    if (identities.length === 0) return h('p', { class: 'muted small' }, 'None: this user signs in with a password.')
    return h(
      'ul',
      { class: 'user-identities' },
      ...identities.map((i) =>
        h('li', {}, h('strong', {}, i.provider), h('span', { class: 'muted small' }, ` · subject ${i.subject} · last sign-in ${i.lastLoginAt ? fromNow(i.lastLoginAt) : 'never'}`)),
      ),
    )
  }

  function userItem(user: AdminUser, sessions: Device[], identities: LinkedIdentity[]): HTMLElement {
    const self = user.id === selfId
    const rolesInput = h('input', { name: 'roles', value: user.roles.join(', '), autocomplete: 'off', spellcheck: 'false', id: `roles-${user.id}` })
    const rolesForm = h(
      'form',
      { class: 'inline-form' },
      // Seen as "Roles", heard as "Roles of bob": every user's field has its own name.
      h('label', { for: rolesInput.id }, 'Roles', h('span', { class: 'visually-hidden' }, ` of ${user.username}`)),
      rolesInput,
      h('button', { type: 'submit', class: 'btn btn-quiet' }, 'Save roles', h('span', { class: 'visually-hidden' }, ` of ${user.username}`)),
    )
    rolesForm.addEventListener('submit', (event) => {
      event.preventDefault()
      const roles = parseRoles(rolesInput.value)
      void act(rolesForm, `${user.username} now has the roles: ${roles.join(', ') || 'none'}.`, () =>
        call(userPath(user.id, '/roles'), { method: 'PUT', body: { roles } }),
      )
    })

    const suspend: HTMLButtonElement = user.suspended
      ? button('Unsuspend', () => void act(suspend, `${user.username} can log in again.`, () => call(userPath(user.id, '/unsuspend'), { method: 'POST' })), {
          label: `Unsuspend ${user.username}`,
        })
      : button('Suspend', () => void act(suspend, `${user.username} is suspended and logged out everywhere.`, () => call(userPath(user.id, '/suspend'), { method: 'POST' })), {
          kind: 'danger',
          label: `Suspend ${user.username}`,
        })
    // An admin who suspends themself is locked out of this very screen.
    if (self) {
      suspend.disabled = true
      suspend.title = 'You cannot suspend your own account here.'
    }
    const revoke: HTMLButtonElement = button(
      'Log out all sessions',
      () => void act(revoke, `Every session of ${user.username} is revoked.`, () => call(userPath(user.id, '/sessions'), { method: 'DELETE' })),
      { label: `Log out all sessions of ${user.username}` },
    )
    revoke.disabled = sessions.length === 0

    return h(
      'li',
      { class: 'user' },
      h(
        'div',
        { class: 'user-who' },
        h(
          'div',
          { class: 'user-head' },
          h('h3', {}, user.username),
          self ? badge('you') : null,
          user.suspended ? badge('suspended', 'warn') : badge('active', 'ok'),
        ),
        h('p', { class: 'muted small' }, `Created ${formatDateTime(user.createdAt)}`),
        h('h4', { class: 'small-heading' }, `Sessions (${sessions.length})`),
        sessionsList(sessions),
        h('h4', { class: 'small-heading' }, `Linked identities (${identities.length})`),
        identitiesList(identities),
      ),
      h('div', { class: 'user-actions' }, rolesForm, h('div', { class: 'actions' }, suspend, revoke)),
    )
  }

  return {
    el: h('div', {}, known, list),
    async load() {
      const { users, knownRoles } = await call<{ users: AdminUser[]; knownRoles?: string[] | null }>('/admin/users')
      known.textContent = knownRoles ? `Known roles: ${knownRoles.join(', ')}. Any other is refused, so a typo never creates a new role.` : ''
      const sessions = await Promise.all(users.map((u) => call<{ sessions: Device[] }>(userPath(u.id, '/sessions')).then((r) => r.sessions)))
      const identities = await Promise.all(users.map((u) => call<{ identities: LinkedIdentity[] }>(userPath(u.id, '/identities')).then((r) => r.identities)))
      replaceChildren(list, ...users.map((u, i) => userItem(u, sessions[i] ?? [], identities[i] ?? [])))
      return new Map(users.map((u) => [u.id, u.username]))
    },
  }
}
