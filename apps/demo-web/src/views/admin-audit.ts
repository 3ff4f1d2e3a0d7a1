import { call } from '../api.js'
import { h, replaceChildren } from '../dom.js'
import { formatDateTimeSeconds } from '../format.js'
import type { AuditEvent } from '../types.js'

export const AUDIT_LIMIT = 25

/** `by: admin:<uuid>` reads better as `by: admin:admin`: known user ids become usernames. */
function detailsText(details: Record<string, unknown>, usernames: Map<string, string>): string {
  const named = (text: string) => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) => usernames.get(id) ?? id)
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${named(Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}`)
    .join(' · ')
}

/** The newest audit events, as a table. */
export function auditPanel() {
  const body = h('tbody')
  const table = h(
    'table',
    { class: 'audit' },
    h('caption', { class: 'visually-hidden' }, `The ${AUDIT_LIMIT} most recent audit events, newest first`),
    h('thead', {}, h('tr', {}, ...['When', 'Event', 'User', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
    body,
  )
  return {
    el: h('div', { class: 'table-wrap', tabindex: 0, 'aria-label': 'Audit events' }, table),
    async load(usernames: Map<string, string>): Promise<void> {
      const { events } = await call<{ events: AuditEvent[] }>(`/admin/audit?limit=${AUDIT_LIMIT}`)
      const rows = events.map((e) =>
        h(
          'tr',
          {},
          h('td', { class: 'nowrap' }, formatDateTimeSeconds(e.at)),
          h('td', {}, h('code', {}, e.type)),
          h('td', {}, e.userId === null ? '—' : (usernames.get(e.userId) ?? e.userId.slice(0, 8))),
          h('td', { class: 'details' }, detailsText(e.details, usernames)),
        ),
      )
      replaceChildren(body, ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 4 }, 'No events yet.'))]))
    },
  }
}
