import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RouteConfigError } from '../src/config/routes-file.js'
import { makeGateway, tempDir, testConfig } from './helpers.js'

const provider = (overrides: Record<string, unknown> = {}) => ({
  name: 'corp',
  issuer: 'https://idp.example.com/realms/corp',
  clientId: 'gatehouse',
  clientSecretEnv: 'CORP_SECRET',
  ...overrides,
})

function configWith(content: unknown, env: Record<string, string> = { CORP_SECRET: 's3cret' }) {
  const dir = tempDir()
  const file = join(dir, 'gatehouse.json')
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return () => testConfig({ GATEHOUSE_CONFIG: file, ...env }, dir)
}

function refusal(load: () => unknown): RouteConfigError {
  try {
    load()
  } catch (error) {
    expect(error).toBeInstanceOf(RouteConfigError)
    return error as RouteConfigError
  }
  throw new Error('the configuration was accepted')
}

describe('providers in the GATEHOUSE_CONFIG file', () => {
  it('reads a provider with its defaults, and its secret from the named variable', () => {
    const config = configWith({ providers: [provider({ rolesClaim: 'groups', createUsers: true })] })()
    expect(config.localLogin).toBe(true)
    expect(config.routes).toEqual([])
    expect(config.providers).toEqual([
      {
        name: 'corp',
        displayName: 'corp',
        issuer: 'https://idp.example.com/realms/corp',
        clientId: 'gatehouse',
        clientSecret: 's3cret',
        clientSecretEnv: 'CORP_SECRET',
        scopes: ['openid', 'profile', 'email'],
        rolesClaim: 'groups',
        defaultRoles: ['user'],
        createUsers: true,
        signingAlgs: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        line: 3,
      },
    ])
  })

  it('names the line of each mistake', () => {
    const lineOf = (key: string, content: unknown, needle = `"${key}":`) => {
      const e = refusal(configWith(content))
      const text = JSON.stringify(content, null, 2).split('\n')
      expect(e.line, e.message).toBe(text.findIndex((l) => l.includes(needle)) + 1)
      expect(e.message).toContain(`line ${e.line}`)
      return e
    }
    expect(lineOf('clientSecretEnv', { providers: [provider({ clientSecretEnv: 'NOT_SET' })] }).message).toContain('NOT_SET is not set')
    expect(lineOf('clientSecret', { providers: [provider({ clientSecret: 'inline' })] }).message).toContain('unknown setting')
    expect(lineOf('issuer', { providers: [provider({ issuer: 'http://idp.example.com' })] }).message).toContain('https')
    expect(lineOf('scopes', { providers: [provider({ scopes: ['profile'] })] }).message).toContain('openid')
    expect(lineOf('signingAlgs', { providers: [provider({ signingAlgs: ['HS256'] })] }, '"HS256"').message).toContain('signingAlgs')
    const twice = refusal(configWith({ providers: [provider(), provider({ issuer: 'https://b.example' })] }))
    expect([twice.line, twice.message]).toEqual([10, expect.stringContaining('declared twice')])
    lineOf('localLogin', { localLogin: false })
    lineOf('token', { routes: [{ upstream: 'orders', token: 'idp' }] })
  })

  it('accepts plain http only for a loopback IdP outside production', () => {
    expect(configWith({ providers: [provider({ issuer: 'http://127.0.0.1:9000' })] })().providers[0]!.issuer).toBe('http://127.0.0.1:9000')
  })
})

describe('"localLogin": false', () => {
  it('turns POST /auth/login into a 404, and keeps it for password deployments', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'gatehouse.json'), JSON.stringify({ localLogin: false, providers: [provider()] }))
    const idpOnly = await makeGateway({ dir, env: { GATEHOUSE_CONFIG: join(dir, 'gatehouse.json'), CORP_SECRET: 's' } })
    await idpOnly.createUser('alice')
    const res = await idpOnly.request('/auth/login', { body: { username: 'alice', password: 'correct horse battery staple' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('set-cookie')).toBeNull()

    const local = await makeGateway()
    await local.createUser('alice')
    expect(await local.login('alice')).toMatch(/^gatehouse=/)
  })
})
