import type { ClientMetadata } from 'oidc-provider'
import type { DemoUser } from './idp.js'

export const DEMO_CLIENT_ID = 'gatehouse-demo'

/** The seeded user of the demo IdP (its password is printed by `pnpm demo`; it is a demo). */
export const DEMO_USER: DemoUser = {
  sub: 'demo-ada-0001',
  username: 'ada',
  password: 'ada-at-the-idp',
  name: 'Ada Lovelace',
  email: 'ada@idp.example',
  roles: ['user'],
}

/**
 * The gateway as a client of the demo IdP: its redirect, post-logout and back-channel logout URIs.
 * `gatewayUrl` is where the IdP itself reaches the gateway (back-channel), when that is not the
 * browser-facing origin.
 */
export function demoClient(gatewayOrigin: string, secret: string, provider = 'demo', gatewayUrl = gatewayOrigin): ClientMetadata {
  return {
    client_id: DEMO_CLIENT_ID,
    client_secret: secret,
    client_name: 'Gatehouse demo',
    redirect_uris: [`${gatewayOrigin}/auth/oidc/${provider}/callback`],
    post_logout_redirect_uris: [`${gatewayOrigin}/`],
    backchannel_logout_uri: `${gatewayUrl}/auth/oidc/${provider}/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }
}
