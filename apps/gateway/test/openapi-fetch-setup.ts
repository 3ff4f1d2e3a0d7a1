/**
 * Vitest setup: the gateway's answers that tests receive over real HTTP (started servers, nginx
 * in front) are checked against the OpenAPI document too, as `app.request` answers are in
 * helpers.ts. Only answers the gateway itself wrote carry its `X-Request-Id`: others (the demo
 * IdP, the demo services, nginx's own) pass unchecked. Event streams are never read here.
 */
const realFetch = globalThis.fetch
globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const res = await realFetch(input, init)
  if (!res.headers.has('x-request-id') || (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return res
  const url = res.url || (input instanceof Request ? input.url : String(input))
  const method = res.redirected ? 'GET' : (input instanceof Request ? input.method : (init?.method ?? 'GET')).toUpperCase()
  if (!/^\/(?:auth|admin)(?:\/|$)/.test(new URL(url).pathname)) return res
  const { assertDocumentedResponse } = await import('./openapi-validator.js')
  await assertDocumentedResponse(method, url, res)
  return res
}
