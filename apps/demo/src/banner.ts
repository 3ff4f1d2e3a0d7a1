import type { DemoLogin } from './logins-file.js'
import type { ChildSpec } from './plan.js'

export interface BannerFacts {
  origin: string
  gatewayUrl: string
  children: ChildSpec[]
  logins: { path: string; logins: DemoLogin[] }
  /** The demo identity provider and its seeded user, when it runs. */
  idp?: { issuer: string; username: string; password: string }
}

/** What `pnpm demo` prints once everything listens. */
export function banner({ origin, gatewayUrl, children, logins, idp }: BannerFacts): string {
  const width = Math.max(...logins.logins.map((l) => l.username.length))
  return [
    '',
    `  Gatehouse demo: open ${origin}`,
    `  (gateway ${gatewayUrl}; ${children.map((c) => `${c.name} service on :${c.port}`).join(', ')})`,
    `  API reference: ${origin}/reference (the document: /openapi.json)`,
    '',
    '  Demo logins:',
    ...logins.logins.map((l) =>
      l.password !== undefined
        ? `    ${l.username.padEnd(width)}  ${l.password}   (${l.roles.join(', ')})`
        : `    ${l.username.padEnd(width)}  (password unknown here; set one with: pnpm gatehouse user set-password ${l.username} --password-stdin)`,
    ),
    `  Kept in ${logins.path} (readable by you only).`,
    ...(idp ? ['', `  "Sign in with Demo IdP" (${idp.issuer}): ${idp.username} / ${idp.password}`] : []),
    '',
    '  Start with "Who am I", then "Under the hood". Ctrl-C stops everything.',
    '',
  ].join('\n')
}
