import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../gateway/src/errors.js'
import type { DemoPlan } from './plan.js'

/** The demo IdP's seeded user, as apps/demo-idp/src/demo-setup.ts seeds it. */
export const DEMO_IDP_USER = { username: 'ada', password: 'ada-at-the-idp' }

/**
 * Adds the demo identity provider (apps/demo-idp, on DEMO_IDP_PORT, 4003) to what `pnpm demo`
 * runs, and a GATEHOUSE_CONFIG that declares it beside the demo route rules. An explicit
 * GATEHOUSE_CONFIG is someone else's setup: then no demo IdP is started.
 */
export function withDemoIdp(plan: DemoPlan, env: Record<string, string | undefined>, repoRoot: string): DemoPlan & { idpIssuer?: string } {
  if (env.GATEHOUSE_CONFIG) return plan
  const raw = env.DEMO_IDP_PORT || '4003'
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new ConfigError('DEMO_IDP_PORT', `"${raw}" is not a port (1-65535)`)
  const issuer = `http://127.0.0.1:${port}`
  // A fresh client secret per run, shared with the IdP process through the environment only.
  const secret = randomBytes(24).toString('base64url')
  const routes = JSON.parse(readFileSync(join(repoRoot, 'apps', 'demo', 'routes.json'), 'utf8')) as Record<string, unknown>
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-demo-')), 'gatehouse.json')
  const provider = {
    name: 'demo',
    displayName: 'Demo IdP',
    issuer,
    clientId: 'gatehouse-demo',
    clientSecretEnv: 'DEMO_IDP_CLIENT_SECRET',
    scopes: ['openid', 'profile', 'email', 'roles'],
    rolesClaim: 'roles',
    defaultRoles: ['user'],
    createUsers: true,
  }
  writeFileSync(file, JSON.stringify({ ...routes, providers: [provider] }, null, 2))
  const childEnv = plan.children[0]?.env ?? { HOST: '127.0.0.1', GATEHOUSE_PUBLIC_ORIGIN: plan.gatewayEnv.GATEHOUSE_PUBLIC_ORIGIN! }
  return {
    ...plan,
    idpIssuer: issuer,
    gatewayEnv: { ...plan.gatewayEnv, GATEHOUSE_CONFIG: file, DEMO_IDP_CLIENT_SECRET: secret },
    children: [...plan.children, { name: 'idp', entry: 'apps/demo-idp/src/main.ts', port, env: { ...childEnv, DEMO_IDP_CLIENT_SECRET: secret } }],
    ports: [...plan.ports, { port, host: '127.0.0.1', variable: 'DEMO_IDP_PORT', what: 'the demo identity provider' }],
  }
}
