// The Gatehouse demo page, in plain TypeScript on purpose. The app is small, and a framework
// would add weight and hide the one point it exists to show: the page never touches a token.
// It holds no JWT and no session secret; nothing goes to localStorage, sessionStorage or a
// script-readable cookie. The browser keeps one HttpOnly cookie that this code cannot read, and
// every call is a same-origin fetch the gateway answers (api.ts).

import { call, onSessionLost } from './api.js'
import { whySessionEnded } from './session-ended.js'
import { bindNotice } from './notice.js'
import { createRouter, type Route } from './router.js'
import { auth } from './state.js'
import type { Me } from './types.js'
import { adminView } from './views/admin.js'
import { devicesView } from './views/devices.js'
import { homeView } from './views/home.js'
import { renderChrome } from './views/layout.js'
import { loginView } from './views/login.js'
import { passwordView } from './views/password.js'
import { underTheHoodView } from './views/under-the-hood.js'

const routes: Record<string, Route> = {
  '/login': { title: 'Log in', access: 'guest', view: loginView },
  '/': { title: 'Who am I', access: 'user', view: homeView },
  '/under-the-hood': { title: 'Under the hood', access: 'user', view: underTheHoodView },
  '/devices': { title: 'Your devices', access: 'user', view: devicesView },
  '/password': { title: 'Change password', access: 'user', view: passwordView },
  '/admin': { title: 'Administration', access: 'admin', view: adminView },
}

function element(id: string): HTMLElement {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`index.html lacks #${id}`)
  return el
}

async function start(): Promise<void> {
  const notice = bindNotice(element('notice'))
  const nav = element('nav')
  const who = element('who')
  const router = createRouter({
    routes,
    main: element('main'),
    notice,
    chrome: (path) => renderChrome(nav, who, path, { notice, navigate: (p) => router.navigate(p) }),
  })

  onSessionLost((reason) => {
    // Only a session this page knew about can "end"; a guest is on the login form already.
    if (auth.get() === null) return
    auth.clear()
    notice.show(`${whySessionEnded(reason)} Please log in again.`, 'error')
    router.navigate('/login')
  })

  try {
    auth.set(await call<Me>('/auth/session'))
  } catch {
    // No session (401) or no gateway: the login form says the rest.
  }
  await router.render()
}

void start()
