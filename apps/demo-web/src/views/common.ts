import { h, type Child } from '../dom.js'

/** A screen: its heading is focusable so the router can move focus to it. */
export function screen(title: string, intro: Child, ...children: Child[]): HTMLElement {
  return h('section', { class: 'screen' }, h('h1', { tabindex: -1 }, title), intro ? h('p', { class: 'lead' }, intro) : null, ...children)
}

export function card(title: string, ...children: Child[]): HTMLElement {
  const id = `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children)
}

export function button(label: string, onclick: (event: Event) => void, options: { kind?: 'primary' | 'danger' | 'quiet'; label?: string } = {}): HTMLButtonElement {
  return h('button', { type: 'button', class: `btn btn-${options.kind ?? 'quiet'}`, 'aria-label': options.label, onclick }, label)
}

export function badge(text: string, kind: 'ok' | 'warn' | 'info' = 'info'): HTMLElement {
  return h('span', { class: `badge badge-${kind}` }, text)
}

/** A definition list from label/value pairs. */
export function facts(rows: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]))
}
