import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logging/logger.js'
import { createProviderRegistry } from '../src/oidc/provider-registry.js'
import { logSink } from './helpers.js'
import { CLIENT_SECRET, startTestIdp } from './oidc-helpers.js'

describe("an identity provider's discovery document", () => {
  it('is fetched again while the gateway runs; when a refresh fails, logins answer 503 and existing sessions keep the last one', async () => {
    const idp = await startTestIdp()
    let discoveries = 0
    const counting: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/.well-known/openid-configuration')) discoveries++
      return fetch(input, init)
    }
    const logs = logSink()
    const registry = createProviderRegistry({
      providers: [
        {
          name: 'demo',
          displayName: 'Demo IdP',
          issuer: idp.issuer,
          clientId: 'gatehouse-demo',
          clientSecret: CLIENT_SECRET,
          clientSecretEnv: 'DEMO_SECRET',
          scopes: ['openid'],
          rolesClaim: undefined,
          defaultRoles: ['user'],
          createUsers: true,
          signingAlgs: ['RS256', 'ES256', 'EdDSA'],
          line: 1,
        },
      ],
      logger: createLogger('info', logs.stream),
      clock: { now: () => Date.now() },
      fetch: counting,
      refreshEveryMs: 50,
      retryEveryMs: 50,
      retryOnDemandAfterMs: 0,
    })
    try {
      await registry.start()
      const demo = registry.get('demo')!
      const first = await demo.forLogin()
      expect(first.client.serverMetadata().issuer).toBe(idp.issuer)
      // Refreshed by the registry's own timer, with no login asking for it.
      await expect.poll(() => discoveries, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)

      await idp.close()
      await expect.poll(() => logs.text().includes('identity provider discovery failed'), { timeout: 10_000 }).toBe(true)
      await expect(demo.forLogin()).rejects.toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' })
      await expect(registry.readiness[0]!.check()).rejects.toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' })
      // Refreshing tokens and logging out of sessions already made go on with the last document.
      expect((await demo.current()).client.serverMetadata().issuer).toBe(idp.issuer)
    } finally {
      registry.stop()
      await idp.close().catch(() => {})
    }
  })
})
