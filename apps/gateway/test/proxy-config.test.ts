import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RouteConfigError } from '../src/config/routes-file.js'
import { tempDir, testConfig } from './helpers.js'

const UPSTREAMS = 'orders=http://127.0.0.1:4001,profile=http://127.0.0.1:4002'

/** Loads the whole configuration with `text` as the GATEHOUSE_CONFIG file. */
function load(text: string) {
  const dir = tempDir()
  const file = join(dir, 'gatehouse.json')
  writeFileSync(file, text)
  return testConfig({ GATEHOUSE_UPSTREAMS: UPSTREAMS, GATEHOUSE_CONFIG: file }, dir)
}

function refusal(text: string): RouteConfigError {
  try {
    load(text)
  } catch (error) {
    if (error instanceof RouteConfigError) return error
    throw error
  }
  throw new Error('the file was accepted')
}

describe('GATEHOUSE_CONFIG route file', () => {
  it('is optional: without it there are no route rules', () => {
    expect(testConfig({ GATEHOUSE_UPSTREAMS: UPSTREAMS }).routes).toEqual([])
  })

  it('parses rules, normalising prefixes and methods', () => {
    const config = load(`{
  "routes": [
    { "upstream": "orders", "pathPrefix": "/Admin/", "roles": ["admin", "admin"], "methods": ["POST", "GET"] },
    { "upstream": "profile", "anonymous": true, "timeoutMs": 2000, "maxBodyBytes": 0 }
  ]
}`)
    expect(config.routes).toEqual([
      { upstream: 'orders', pathPrefix: '/admin', methods: ['GET', 'POST'], roles: ['admin'], anonymous: false, timeoutMs: undefined, maxBodyBytes: undefined, token: 'jwt', line: 3 },
      { upstream: 'profile', pathPrefix: '/', methods: undefined, roles: [], anonymous: true, timeoutMs: 2000, maxBodyBytes: 0, token: 'jwt', line: 4 },
    ])
  })

  const cases: [string, string, number][] = [
    ['a JSON syntax error', '{\n  "routes": [\n    { "upstream": "orders", }\n  ]\n}', 3],
    ['an unterminated file', '{\n  "routes": [\n    { "upstream": "orders" }\n', 4],
    ['a value of the wrong type', '{\n  "routes": [\n    { "upstream": "orders",\n      "timeoutMs": "soon" }\n  ]\n}', 4],
    ['an unknown setting', '{\n  "routes": [\n    {\n      "upstream": "orders",\n      "rolez": ["admin"]\n    }\n  ]\n}', 5],
    ['an unknown top-level setting', '{\n  "routes": [],\n  "rutes": []\n}', 3],
    ['an upstream not in GATEHOUSE_UPSTREAMS', '{\n  "routes": [\n    { "upstream": "billing" }\n  ]\n}', 3],
    ['a duplicate key', '{\n  "routes": [\n    { "upstream": "orders",\n      "upstream": "profile" }\n  ]\n}', 4],
    ['anonymous with roles', '{\n  "routes": [\n    { "upstream": "orders", "roles": ["admin"],\n      "anonymous": true }\n  ]\n}', 4],
    ['a prefix that escapes', '{\n  "routes": [\n    { "upstream": "orders",\n      "pathPrefix": "/a/../admin" }\n  ]\n}', 4],
    ['a percent-encoded prefix', '{\n  "routes": [\n    { "upstream": "orders", "pathPrefix": "/%61dmin" }\n  ]\n}', 3],
    ['a negative body limit', '{\n  "routes": [\n\n    { "upstream": "orders", "maxBodyBytes": -1 }\n  ]\n}', 4],
    ['two rules for the same requests', '{\n  "routes": [\n    { "upstream": "orders", "pathPrefix": "/a" },\n    { "upstream": "orders", "pathPrefix": "/A/" }\n  ]\n}', 4],
    ['routes that are not a list', '{\n  "routes": {}\n}', 2],
  ]

  it.each(cases)('refuses %s, naming GATEHOUSE_CONFIG and the line', (_name, text, line) => {
    const error = refusal(text)
    expect(error.code).toBe('ERR_CONFIG')
    expect(error.variable).toBe('GATEHOUSE_CONFIG')
    expect(error.line).toBe(line)
    expect(error.message).toContain(`line ${line}`)
  })

  it('refuses a file that cannot be read', () => {
    const dir = tempDir()
    const error = (() => {
      try {
        testConfig({ GATEHOUSE_CONFIG: join(dir, 'missing.json') }, dir)
      } catch (e) {
        return e as RouteConfigError
      }
      throw new Error('accepted')
    })()
    expect(error).toBeInstanceOf(RouteConfigError)
    expect(error.variable).toBe('GATEHOUSE_CONFIG')
  })
})
