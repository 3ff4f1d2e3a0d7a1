import { h } from './dom.js'

export type NoticeKind = 'info' | 'success' | 'error'

export interface Notice {
  el: HTMLElement
  show(text: string, kind?: NoticeKind): void
  clear(): void
  /**
   * Called on each change of screen: a message shown just before it (why the session ended, say)
   * stays for the screen it led to; an older one goes, so banners never pile up.
   */
  settle(): void
}

/** A message area that screen readers announce (aria-live) and that stays visible until replaced. */
export function bindNotice(el: HTMLElement): Notice {
  el.setAttribute('role', 'status')
  el.setAttribute('aria-live', 'polite')
  let fresh = false
  return {
    el,
    settle() {
      if (fresh) fresh = false
      else this.clear()
    },
    show(text, kind = 'info') {
      fresh = true
      el.hidden = false
      el.className = `notice notice-${kind}`
      // Emptied first, so the same sentence twice is announced twice.
      el.textContent = ''
      requestAnimationFrame(() => {
        el.textContent = text
      })
    },
    clear() {
      fresh = false
      el.hidden = true
      el.textContent = ''
    },
  }
}

export function createNotice(): Notice {
  const el = h('div', { class: 'notice', hidden: true })
  return bindNotice(el)
}
