import { call } from '../api.js'
import { h, replaceChildren } from '../dom.js'
import { formatDateTimeSeconds } from '../format.js'
import type { AuditEvent } from '../types.js'

export const AUDIT_LIMIT = 25

/** The event types the gateway writes (README, "Audit trail"), for the filter. */
const TYPES = [
  'login.succeeded',
  'login.failed',
  'login.rate_limited',
  'session.created',
  'session.rotated',
  'session.revoked',
  'session.expired',
  'session.reuse_detected',
  'user.created',
  'user.password_changed',
  'user.roles_changed',
  'user.suspended',
  'user.unsuspended',
  'user.deleted',
  'key.rotated',
]

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/** `by: admin:<uuid>` reads better as `by: admin:admin`: known user ids become usernames. */
function detailsText(details: Record<string, unknown>, usernames: Map<string, string>): string {
  const named = (text: string) => text.replace(UUID, (id) => usernames.get(id) ?? id)
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${named(Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}`)
    .join(' · ')
}

function select(name: string, label: string, options: [string, string][]): { field: HTMLElement; input: HTMLSelectElement } {
  const input = h('select', { name, id: `audit-${name}` }, h('option', { value: '' }, 'any'), ...options.map(([value, text]) => h('option', { value }, text)))
  return { input, field: h('div', { class: 'field' }, h('label', { for: input.id }, label), input) }
}

/** The newest audit events, as a table, with filters by user, event type and time. */
export function auditPanel() {
  const body = h('tbody')
  const user = select('user', 'User', [])
  const type = select('type', 'Event', TYPES.map((t) => [t, t]))
  const since = h('input', { type: 'datetime-local', name: 'since', id: 'audit-since', step: 1 })
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter audit events' },
    user.field,
    type.field,
    h('div', { class: 'field' }, h('label', { for: since.id }, 'Since'), since),
  )
  let usernames = new Map<string, string>()
  const table = h(
    'table',
    { class: 'audit' },
    h('caption', { class: 'visually-hidden' }, `The ${AUDIT_LIMIT} most recent matching audit events, newest first`),
    h('thead', {}, h('tr', {}, ...['When', 'Event', 'User', 'Device', 'Address', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
    body,
  )

  async function load(names: Map<string, string> = usernames): Promise<void> {
    usernames = names
    const chosen = user.input.value
    // The user list follows the users panel; the current choice is kept.
    replaceChildren(user.input, h('option', { value: '' }, 'any'), ...[...names].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => h('option', { value: id }, name)))
    user.input.value = names.has(chosen) ? chosen : ''
    const query = new URLSearchParams({ limit: String(AUDIT_LIMIT) })
    if (user.input.value) query.set('userId', user.input.value)
    if (type.input.value) query.set('type', type.input.value)
    if (since.value) query.set('since', new Date(since.value).toISOString())
    const { events } = await call<{ events: AuditEvent[] }>(`/admin/audit?${query}`)
    const rows = events.map((e) =>
      h(
        'tr',
        {},
        h('td', { class: 'nowrap' }, formatDateTimeSeconds(e.at)),
        h('td', {}, h('code', {}, e.type)),
        h('td', {}, e.userId === null ? '—' : (usernames.get(e.userId) ?? e.userId.slice(0, 8))),
        h('td', { class: 'small' }, [e.device, e.sessionId && `id ${e.sessionId.slice(0, 8)}`].filter(Boolean).join(' · ') || '—'),
        h('td', { class: 'small nowrap' }, e.clientIp ?? '—'),
        h('td', { class: 'details' }, detailsText(e.details, usernames)),
      ),
    )
    replaceChildren(body, ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 6 }, 'No matching events.'))]))
  }
  filters.addEventListener('change', () => void load().catch(() => {}))

  return {
    el: h('div', {}, filters, h('div', { class: 'table-wrap', tabindex: 0, 'aria-label': 'Audit events' }, table)),
    load,
  }
}
