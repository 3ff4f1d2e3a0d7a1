import { GATEWAY_ERRORS, type GatewayErrorCode } from '../errors.js'

export interface ProblemBody {
  type: string
  title: string
  status: number
  code: GatewayErrorCode
  detail?: string
  [extension: string]: unknown
}

/** `ERR_BAD_CREDENTIALS` -> `urn:gatehouse:problem:bad-credentials`: stable, and never a URL to fetch. */
export function problemType(code: GatewayErrorCode): string {
  return `urn:gatehouse:problem:${code.slice(4).toLowerCase().replaceAll('_', '-')}`
}

export function problemResponse(
  code: GatewayErrorCode,
  options: { detail?: string | undefined; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Response {
  const { status, title } = GATEWAY_ERRORS[code]
  const body: ProblemBody = { ...options.extensions, type: problemType(code), title, status, code }
  if (options.detail !== undefined) body.detail = options.detail
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...options.headers },
  })
}
