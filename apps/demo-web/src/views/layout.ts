import { call } from '../api.js'
import { busy, h, replaceChildren } from '../dom.js'
import { describeError } from '../messages.js'
import type { Notice } from '../notice.js'
import { auth, isAdmin } from '../state.js'

const LINKS: { path: string; label: string; admin?: boolean }[] = [
  { path: '/', label: 'Who am I' },
  { path: '/under-the-hood', label: 'Under the hood' },
  { path: '/devices', label: 'Your devices' },
  { path: '/password', label: 'Password' },
  { path: '/admin', label: 'Admin', admin: true },
]

/** The header: navigation and the signed-in user with a log-out button, or nothing for a guest. */
export function renderChrome(nav: HTMLElement, who: HTMLElement, path: string, ctx: { notice: Notice; navigate(path: string): void }): void {
  const me = auth.get()
  if (me === null) {
    replaceChildren(nav)
    replaceChildren(who)
    return
  }
  // A user from an identity provider has no password here to change.
  const links = LINKS.filter((l) => (!l.admin || isAdmin(me)) && !(l.path === '/password' && me.session.provider)).map((l) =>
    h('li', {}, h('a', { href: `#${l.path}`, 'aria-current': l.path === path ? 'page' : undefined }, l.label)),
  )
  replaceChildren(nav, h('ul', {}, ...links))

  const logout = h('button', { type: 'button', class: 'btn btn-on-dark' }, 'Log out')
  logout.addEventListener('click', () =>
    void busy(logout, async () => {
      try {
        const answer = await call<{ endSessionUrl?: string | null } | undefined>('/auth/logout', { method: 'POST' })
        auth.clear()
        // A session from an identity provider: end the session there too (RP-initiated logout).
        if (answer?.endSessionUrl) {
          location.assign(answer.endSessionUrl)
          return
        }
        ctx.notice.show('You are logged out.', 'success')
        ctx.navigate('/login')
      } catch (error) {
        ctx.notice.show(describeError(error), 'error')
      }
    }),
  )
  replaceChildren(who, h('span', { class: 'who-name' }, me.user.username), logout)
}
