import { h, replaceChildren } from './dom.js'
import { describeError } from './messages.js'
import type { Notice } from './notice.js'
import { auth, isAdmin } from './state.js'

export interface ViewContext {
  /** The page-wide message area under the header. */
  notice: Notice
  navigate(path: string): void
  /** After logging in: the screen that sent the user to the login form, or home. */
  home(): void
}

export interface Route {
  title: string
  /** Who may open it: a guest-only screen sends a signed-in user home, and the reverse. */
  access: 'guest' | 'user' | 'admin'
  view(ctx: ViewContext): HTMLElement | Promise<HTMLElement>
}

/**
 * Routes live in the hash (`#/devices`), so the gateway serves one index.html for every screen
 * and the server never sees which screen is open. Other hashes (`#main` of the skip link) are
 * plain in-page links, left alone.
 */
export function createRouter(options: {
  routes: Record<string, Route>
  main: HTMLElement
  notice: Notice
  /** Redraws the header (navigation, who is signed in) after every change. */
  chrome(path: string): void
}) {
  const { routes, main, notice } = options
  let renderCount = 0
  let returnTo: string | undefined

  const currentPath = (): string | undefined => {
    const hash = location.hash
    if (hash === '' || hash === '#') return '/'
    return hash.startsWith('#/') ? hash.slice(1) : undefined
  }

  function navigate(path: string): void {
    if (currentPath() === path) void render()
    else location.hash = `#${path}`
  }

  async function render(): Promise<void> {
    const path = currentPath()
    if (path === undefined) return
    const route = routes[path]
    const me = auth.get()
    if (route === undefined) return navigate('/')
    if (route.access !== 'guest' && me === null) {
      returnTo = path
      return navigate('/login')
    }
    if (route.access === 'guest' && me !== null) return navigate(returnTo ?? '/')
    if (path !== '/login') returnTo = undefined

    const ticket = ++renderCount
    notice.settle()
    options.chrome(path)
    document.title = `${route.title} · Gatehouse demo`
    main.setAttribute('aria-busy', 'true')
    let view: HTMLElement
    try {
      view = route.access === 'admin' && !isAdmin(me) ? forbidden() : await route.view({ notice, navigate, home: () => navigate(returnTo ?? '/') })
    } catch (error) {
      view = failed(route.title, describeError(error))
    } finally {
      if (ticket === renderCount) main.removeAttribute('aria-busy')
    }
    // A newer navigation started while this view was loading: it wins.
    if (ticket !== renderCount) return
    replaceChildren(main, view)
    // After a change of screen, keyboard and screen-reader users land on its heading. The
    // first screen of a page load starts at the top, like any page (skip link first).
    if (ticket > 1) main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true })
  }

  function forbidden(): HTMLElement {
    return h('section', {}, h('h1', { tabindex: -1 }, 'Administrators only'), h('p', {}, 'Your account does not have the admin role.'))
  }

  function failed(title: string, message: string): HTMLElement {
    return h('section', {}, h('h1', { tabindex: -1 }, title), h('p', { class: 'notice notice-error', role: 'alert' }, message))
  }

  window.addEventListener('hashchange', () => void render())
  return { render, navigate }
}
