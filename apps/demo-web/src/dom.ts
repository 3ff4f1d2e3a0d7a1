// Every node is built with textContent and attributes, never innerHTML: a username or an audit
// detail can never become markup.

export type Child = Node | string | number | null | undefined | false
type Handler = (event: Event) => void
export type Props = Record<string, string | number | boolean | Handler | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, '').toLowerCase(), value)
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** A labelled input: the label's `for` names the input, so screen readers and tests find it. */
export function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  const id = input.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Math.random().toString(36).slice(2, 7)}`
  input.id = id
  const hintEl = hint === undefined ? null : h('small', { id: `${id}-hint`, class: 'hint' }, hint)
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl)
}

/**
 * Runs an action from a button or form: the control is disabled while it runs, so a double
 * click is one request, and it is enabled again whatever happens.
 */
export async function busy<T>(control: HTMLButtonElement | HTMLFormElement, action: () => Promise<T>): Promise<T> {
  const buttons = control instanceof HTMLFormElement ? [...control.querySelectorAll('button')] : [control]
  for (const b of buttons) b.disabled = true
  control.setAttribute('aria-busy', 'true')
  try {
    return await action()
  } finally {
    for (const b of buttons) b.disabled = false
    control.removeAttribute('aria-busy')
  }
}
