import { ApiError, call, callRaw } from '../api.js'
import { busy, h, replaceChildren } from '../dom.js'
import { describeError } from '../messages.js'
import { button, card, facts, screen } from './common.js'

interface CookieFacts {
  name: string
  attributes: string[]
  maxAge: string
  sent: boolean
  valueBytes: number
}

interface Verified {
  service: string
  header: { alg?: string; kid?: string; typ?: string }
  claims: Record<string, unknown>
}

const SERVICES = ['orders', 'profile'] as const

/** What this browser holds: the cookie as the gateway set it, and what scripts can read (nothing). */
function browserCard(cookie: CookieFacts): HTMLElement {
  const proof = h('dl', { class: 'facts', 'data-testid': 'script-proof' })
  const check = () =>
    replaceChildren(
      proof,
      ...([
        ['document.cookie', JSON.stringify(document.cookie)],
        ['localStorage', `${localStorage.length} item(s)`],
        ['sessionStorage', `${sessionStorage.length} item(s)`],
      ] as const).flatMap(([k, v]) => [h('dt', {}, h('code', {}, k)), h('dd', {}, h('code', {}, v))]),
    )
  check()
  return card(
    'In this browser',
    h('p', {}, 'One cookie, set by the gateway. Its value is sealed (encrypted and signed) and holds only a session id and a credential: no user data, no token.'),
    facts([
      ['Name', h('code', {}, cookie.name)],
      ['Attributes', h('span', { class: 'badges' }, ...cookie.attributes.map((a) => h('code', { class: 'attr' }, a)))],
      ['Max-Age', cookie.maxAge],
      ['Sealed value', cookie.sent ? `${cookie.valueBytes} bytes, sent with every request to this origin` : 'not sent'],
    ]),
    h('h3', {}, 'What a script on this page can read, live'),
    proof,
    h('p', { class: 'small muted' }, 'HttpOnly keeps the cookie out of document.cookie, so an injected script has nothing to steal.'),
    button('Check again', check),
  )
}

function claimRows(v: Verified): [string, HTMLElement | string][] {
  const header = (['alg', 'kid', 'typ'] as const).map((k): [string, HTMLElement | string] => [`header.${k}`, h('code', { class: k === 'kid' ? 'highlight' : '' }, String(v.header[k] ?? '—'))])
  const claims = Object.entries(v.claims).map(([k, value]): [string, HTMLElement | string] => {
    const shown = k === 'iat' || k === 'exp' ? `${value} (${new Date(Number(value) * 1000).toLocaleTimeString()})` : JSON.stringify(value)
    return [k, h('code', { class: k === 'aud' ? 'highlight' : '' }, shown)]
  })
  return [...header, ...claims]
}

/** One service: a button that asks it what it verified, and the decoded header and claims. */
function serviceCard(name: string): HTMLElement {
  const out = h('div', { 'aria-live': 'polite', 'data-testid': `verified-${name}` })
  const b: HTMLButtonElement = button(
    `Ask ${name} what it verified`,
    () =>
      void busy(b, async () => {
        try {
          const v = await call<Verified>(`/api/${name}/token`)
          replaceChildren(out, facts(claimRows(v)))
        } catch (error) {
          replaceChildren(out, h('p', { class: 'notice notice-error', role: 'alert' }, describeError(error)))
        }
      }),
    { kind: 'primary' },
  )
  return h('div', { class: 'service' }, h('h3', {}, `The ${name} service`), b, out)
}

function servicesCard(): HTMLElement {
  return card(
    'At each service',
    h(
      'p',
      {},
      'Each service received a JWT from the gateway, checked it against the keys at ',
      h('a', { href: '/.well-known/jwks.json' }, '/.well-known/jwks.json'),
      ', and echoes what it verified. Note the different ',
      h('code', { class: 'highlight' }, 'aud'),
      ': a token for one service is refused by the other. After an admin rotates the signing key, the ',
      h('code', { class: 'highlight' }, 'kid'),
      ' changes here (40 s later for a normal rotation, at once in an emergency).',
    ),
    h('div', { class: 'services' }, ...SERVICES.map(serviceCard)),
  )
}

/** A request the gateway's route rules answer itself, before any service sees it. */
function ruleButton(label: string, path: string, init: { method?: 'POST'; body?: unknown }, out: HTMLElement): HTMLButtonElement {
  const b: HTMLButtonElement = button(label, () =>
    void busy(b, async () => {
      const caption = `${init.method ?? 'GET'} ${path}`
      try {
        const answer = await callRaw(path, init)
        replaceChildren(out, h('p', { class: 'notice notice-success' }, `${caption} answered ${answer.status}: your roles allow it.`))
      } catch (error) {
        const status = error instanceof ApiError ? `${error.status} ${error.code}` : ''
        replaceChildren(out, h('p', { class: 'notice notice-info' }, `${caption} answered ${status} by the gateway: ${describeError(error)}`))
      }
    }),
  )
  return b
}

function rulesCard(): HTMLElement {
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'rule-answer' })
  return card(
    'Route rules, enforced at the gateway',
    h('p', {}, 'The demo configures two rules (apps/demo/routes.json): the services\u2019 /admin routes need the admin role, and an order body may not exceed 64 KiB.'),
    h(
      'div',
      { class: 'actions' },
      ruleButton('Call an admin-only route', '/api/orders/admin/orders', {}, out),
      ruleButton('Send a 70 KB order', '/api/orders/orders', { method: 'POST', body: { item: 'x'.repeat(70_000) } }, out),
    ),
    out,
  )
}

function tryThisCard(): HTMLElement {
  return card(
    'Try this',
    h(
      'ol',
      { class: 'steps' },
      h('li', {}, 'Open a private window at this address and log in as the same user.'),
      h('li', {}, 'Here, open ', h('a', { href: '#/devices' }, 'Your devices'), ': two sessions, each with its network and short id. Revoke the other one.'),
      h('li', {}, 'In the private window, call a service: the gateway refuses at once, and the page says you were signed out from another device.'),
      h('li', {}, 'As admin, rotate the signing key (Admin), come back here after 40 s and ask a service again: a new kid.'),
    ),
    h(
      'p',
      { class: 'small', 'data-testid': 'doc-links' },
      'Read more: the ',
      h('a', { href: '/docs/README.txt' }, 'README'),
      ' (section "The demo"), the ',
      h('a', { href: '/docs/verify-guide.txt' }, 'verify guide'),
      ' (how a service checks the token), the ',
      h('a', { href: '/docs/THREATS.txt' }, 'threat model'),
      ', and the published keys at ',
      h('a', { href: '/.well-known/jwks.json' }, '/.well-known/jwks.json'),
      '.',
    ),
  )
}

export async function underTheHoodView(): Promise<HTMLElement> {
  const cookie = await call<CookieFacts>('/auth/cookie')
  return screen(
    'Under the hood',
    'What the browser holds, side by side with what each service received.',
    h('div', { class: 'hood' }, browserCard(cookie), servicesCard()),
    rulesCard(),
    tryThisCard(),
  )
}
