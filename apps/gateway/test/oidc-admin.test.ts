import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER, type DemoIdp } from '@gatehouse/demo-idp'
import { runCli } from '../src/cli/run.js'
import { cliIo } from './helpers.js'
import { CLIENT_SECRET, loginViaIdp, oidcGateway, startTestIdp } from './oidc-helpers.js'

let idp: DemoIdp
beforeAll(async () => {
  idp = await startTestIdp()
})
afterAll(() => idp.close())

describe('linked identities in the admin API', () => {
  it('lists a user’s identities; only admins may', async () => {
    const gw = await oidcGateway(idp)
    await gw.createUser('root', { roles: ['admin', 'user'] })
    const admin = await gw.login('root')
    const { session } = await loginViaIdp(gw)
    const ada = (await gw.store.findUserByUsername('ada'))!
    const res = await gw.request(`/admin/users/${ada.id}/identities`, { cookie: admin })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      identities: [{ provider: 'demo', issuer: idp.issuer, subject: DEMO_USER.sub, createdAt: expect.any(String), lastLoginAt: expect.any(String) }],
    })
    expect((await gw.request(`/admin/users/${ada.id}/identities`, { cookie: session! })).status).toBe(403)
    expect((await gw.request('/admin/users/nope/identities', { cookie: admin })).status).toBe(404)
  })

  it('links an identity ahead of its first login (createUsers false), and unlinking ends its sessions', async () => {
    const gw = await oidcGateway(idp, { provider: { createUsers: false } })
    await gw.createUser('root', { roles: ['admin', 'user'] })
    const admin = await gw.login('root')
    const dana = await gw.createUser('dana')
    expect((await loginViaIdp(gw)).res.headers.get('location')).toBe('/?loginError=not_linked')

    const link = (body: unknown) => gw.request(`/admin/users/${dana.id}/identities`, { cookie: admin, body })
    expect((await link({ provider: 'demo', subject: DEMO_USER.sub })).status).toBe(201)
    expect((await link({ provider: 'demo', subject: DEMO_USER.sub })).status).toBe(409)
    expect((await link({ provider: 'nope', subject: 'x' })).status).toBe(404)
    expect((await link({ provider: 'demo' })).status).toBe(400)

    const { session } = await loginViaIdp(gw)
    const me = (await (await gw.request('/auth/session', { cookie: session! })).json()) as { user: { id: string } }
    expect(me.user.id).toBe(dana.id)

    const unlink = await gw.request(`/admin/users/${dana.id}/identities/demo/${DEMO_USER.sub}`, { method: 'DELETE', cookie: admin })
    expect(unlink.status).toBe(204)
    expect((await gw.request('/auth/session', { cookie: session! })).status).toBe(401)
    expect(await gw.store.listIdentities(dana.id)).toEqual([])
    expect((await gw.request(`/admin/users/${dana.id}/identities/demo/${DEMO_USER.sub}`, { method: 'DELETE', cookie: admin })).status).toBe(404)
  })
})

describe('pnpm gatehouse identities', () => {
  it('lists, links and unlinks', async () => {
    const gw = await oidcGateway(idp)
    await loginViaIdp(gw)
    const dir = gw.config.dataDir
    const env = { GATEHOUSE_CONFIG: join(dir, 'gatehouse.json'), DEMO_SECRET: CLIENT_SECRET }
    const list = cliIo(dir, { env })
    expect(await runCli(['identities', 'list', 'ada'], list.io)).toBe(0)
    expect(list.out.join('\n')).toContain(`demo\t${DEMO_USER.sub}\t${idp.issuer}`)

    await gw.createUser('erin')
    expect(await runCli(['identities', 'link', 'erin', '--provider', 'demo', '--subject', 'erin-at-idp'], cliIo(dir, { env }).io)).toBe(0)
    const erin = (await gw.store.findUserByUsername('erin'))!
    expect((await gw.store.listIdentities(erin.id)).map((i) => i.subject)).toEqual(['erin-at-idp'])
    const taken = cliIo(dir, { env })
    expect(await runCli(['identities', 'link', 'erin', '--provider', 'demo', '--subject', DEMO_USER.sub], taken.io)).toBe(1)
    expect(taken.err.join()).toMatch(/linked to a user already/)
    expect(await runCli(['identities', 'unlink', 'erin', '--provider', 'demo', '--subject', 'erin-at-idp'], cliIo(dir, { env }).io)).toBe(0)
    expect(await gw.store.listIdentities(erin.id)).toEqual([])
    expect(await runCli(['identities', 'link', 'erin', '--provider', 'demo'], cliIo(dir, { env }).io)).toBe(2)
    expect(await runCli(['identities', 'list'], cliIo(dir, { env }).io)).toBe(2)
  })
})
