import { h } from './dom.js'

export type NoticeKind = 'info' | 'success' | 'error'

export interface Notice {
  el: HTMLElement
  show(text: string, kind?: NoticeKind): void
  clear(): void
}

/** A message area that screen readers announce (aria-live) and that stays visible until replaced. */
export function bindNotice(el: HTMLElement): Notice {
  el.setAttribute('role', 'status')
  el.setAttribute('aria-live', 'polite')
  return {
    el,
    show(text, kind = 'info') {
      el.hidden = false
      el.className = `notice notice-${kind}`
      // Emptied first, so the same sentence twice is announced twice.
      el.textContent = ''
      requestAnimationFrame(() => {
        el.textContent = text
      })
    },
    clear() {
      el.hidden = true
      el.textContent = ''
    },
  }
}

export function createNotice(): Notice {
  const el = h('div', { class: 'notice', hidden: true })
  return bindNotice(el)
}
