import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logging/logger.js'
import { startGateway } from '../src/server.js'
import { MAX_PASSWORD_LENGTH } from '../src/auth/passwords.js'
import { makeGateway } from './helpers.js'
import { assertDocumentedResponse, checkedResponses } from './openapi-validator.js'

const jsonResponse = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
const problem = (status: number, code: string, type: string) => jsonResponse(status, { type, title: 't', status, code }, 'application/problem+json')

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of /auth, /auth/oidc, /admin and /auth/forward, from the schemas the routes validate with', async () => {
    const gw = await makeGateway()
    const res = await gw.request('/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as {
      openapi: string
      servers: { url: string }[]
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, { maxLength?: number }> } }> } }>>
      components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers).toEqual([{ url: gw.config.publicOrigin }])
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/sessions/{id}', '/auth/oidc/{name}/callback', '/admin/users/{id}/roles', '/admin/audit', '/auth/forward']),
    )
    const login = doc.paths['/auth/login']!.post!.requestBody!.content['application/json']!.schema
    expect(login.properties.password!.maxLength).toBe(MAX_PASSWORD_LENGTH)
    expect(doc.components.schemas.Problem.properties.code.enum).toEqual(expect.arrayContaining(['ERR_BAD_CREDENTIALS', 'ERR_CROSS_SITE']))
  })

  it('checks every response the HTTP tests receive through the shared helper', async () => {
    const gw = await makeGateway()
    const before = checkedResponses()
    await gw.request('/auth/session')
    await gw.request('/admin/users')
    expect(checkedResponses()).toBe(before + 2)
  })

  it('checks the answers tests receive over real HTTP from a started gateway too (openapi-fetch-setup.ts)', async () => {
    const gw = await makeGateway()
    const running = await startGateway({ ...gw.config, port: 0 }, { logger: createLogger('silent') })
    try {
      const before = checkedResponses()
      expect((await fetch(`${running.url}/auth/session`)).status).toBe(401)
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200) // not a documented prefix
      expect(checkedResponses()).toBe(before + 1)
    } finally {
      await running.close()
    }
  })

  it("fails a test whose server, answering as the gateway, drifts from the document", async () => {
    // An answer with the gateway's X-Request-Id but a body the document does not describe.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' })
      res.end(JSON.stringify({ user: { id: 'u' } }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    try {
      const { port } = server.address() as AddressInfo
      await expect(fetch(`http://127.0.0.1:${port}/auth/session`)).rejects.toThrow(/OpenAPI document and response disagree/)
    } finally {
      server.close()
    }
  })
})

describe('GET /reference', () => {
  it('is an API reference page of /openapi.json for the demo, and absent otherwise', async () => {
    const demo = await makeGateway({ apiReference: true })
    const page = await demo.request('/reference')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toContain('/openapi.json')
    expect((await (await makeGateway()).request('/reference')).status).toBe(404)
  })
})

describe('the response check fails on drift', () => {
  it('a body that is not the documented shape', async () => {
    await expect(assertDocumentedResponse('GET', '/auth/session', jsonResponse(200, { user: { id: 'u' } }))).rejects.toThrow(/disagree/)
  })

  it('a success on an undocumented route or status', async () => {
    await expect(assertDocumentedResponse('GET', '/auth/new-thing', jsonResponse(200, {}))).rejects.toThrow(/no such operation/)
    await expect(assertDocumentedResponse('POST', '/auth/logout', jsonResponse(201, {}))).rejects.toThrow(/not documented/)
  })

  it('an error that is not problem+json, or has a code the operation does not list for that status', async () => {
    await expect(assertDocumentedResponse('GET', '/auth/session', jsonResponse(401, { error: 'no' }))).rejects.toThrow(/problem\+json/)
    await expect(assertDocumentedResponse('GET', '/auth/session', problem(401, 'ERR_BAD_CREDENTIALS', 'urn:gatehouse:problem:bad-credentials'))).rejects.toThrow(/disagree/)
    await expect(assertDocumentedResponse('GET', '/auth/session', problem(401, 'ERR_NOPE', 'urn:gatehouse:problem:nope'))).rejects.toThrow(/disagree/)
    await expect(assertDocumentedResponse('GET', '/auth/session', problem(401, 'ERR_UNAUTHENTICATED', 'urn:gatehouse:problem:unauthenticated'))).resolves.toBeUndefined()
  })

  it("accepts the contract's answers for routes described from it (section 7)", async () => {
    await expect(assertDocumentedResponse('POST', '/auth/logout', jsonResponse(200, { endSessionUrl: 'https://idp.example.com/logout?x=1' }))).resolves.toBeUndefined()
    await expect(assertDocumentedResponse('POST', '/auth/logout', jsonResponse(200, { endSession: 'x' }))).rejects.toThrow(/disagree/)
    await expect(assertDocumentedResponse('GET', '/auth/oidc/corp/callback', problem(400, 'ERR_BAD_REQUEST', 'urn:gatehouse:problem:bad-request'))).resolves.toBeUndefined()
  })

  it('a body where the document says none', async () => {
    await expect(assertDocumentedResponse('GET', '/auth/forward', new Response('token', { status: 200 }))).rejects.toThrow(/no body/)
  })
})
