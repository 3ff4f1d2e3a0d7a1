import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Provider from 'oidc-provider'
import type { DemoUser } from './idp.js'

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function loginPage(uid: string, clientId: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo IdP: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;background:#f3f0ff;display:grid;place-items:center;min-height:90vh}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 2px 8px #0002;display:grid;gap:.8rem;min-width:18rem}
h1{font-size:1.2rem;margin:0}.error{color:#b00020}small{color:#555}</style></head>
<body><form method="post" action="/interaction/${escape(uid)}/login">
<h1>Demo IdP</h1><small>Sign in to continue to <b>${escape(clientId)}</b>. This is the identity provider's page, not the app's.</small>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 10_000) break
  }
  return new URLSearchParams(body)
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Grants the client everything it asked for: the demo's one app is first-party, no consent screen. */
async function finish(provider: Provider, req: IncomingMessage, res: ServerResponse, accountId: string): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  const clientId = String(details.params.client_id)
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId })
  if (grant === undefined) throw new Error('grant vanished')
  grant.addOIDCScope(String(details.params.scope ?? 'openid'))
  const grantId = await grant.save()
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false })
}

/** The provider's login and consent steps; true when this request was one of them. */
export async function handleInteraction(provider: Provider, users: Map<string, DemoUser>, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = INTERACTION.exec(new URL(req.url ?? '/', 'http://idp.invalid').pathname)
  if (match === null) return false
  const [, uid, login] = match
  const details = await provider.interactionDetails(req, res).catch(() => undefined)
  if (details === undefined || details.uid !== uid) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('this sign-in has expired; start again from the app')
    return true
  }
  const clientId = String(details.params.client_id)
  if (req.method === 'GET' && login === undefined) {
    // Signed in here already: only the (automatic) consent is missing.
    if (details.prompt.name === 'consent' && details.session?.accountId) {
      await finish(provider, req, res, details.session.accountId)
      return true
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(loginPage(uid!, clientId))
    return true
  }
  if (req.method === 'POST' && login !== undefined) {
    const form = await readForm(req)
    const username = form.get('username') ?? ''
    const password = form.get('password') ?? ''
    const user = [...users.values()].find((u) => u.username === username)
    if (user === undefined || !sameText(user.password, password)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(loginPage(uid!, clientId, 'Wrong username or password'))
      return true
    }
    await finish(provider, req, res, user.sub)
    return true
  }
  res.writeHead(405).end()
  return true
}
