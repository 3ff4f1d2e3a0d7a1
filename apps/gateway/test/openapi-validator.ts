import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { buildOpenApiDocument } from '../src/openapi/document.js'

/**
 * Checks a response the HTTP tests received against the OpenAPI document, so the document cannot
 * drift from the code: under the documented prefixes (`/auth`, `/admin`), a success must be a
 * documented operation and status with a body of its schema; an error is problem+json of the
 * status's listed codes, or of any code where the operation lists none for that status.
 */
const DOCUMENTED = /^\/(?:auth|admin)(?:\/|$)/
const REF_BASE = 'gatehouse-openapi'

interface MediaSpec {
  schema?: unknown
}
interface ResponseSpec {
  content?: Record<string, MediaSpec>
}
interface OperationSpec {
  responses: Record<string, ResponseSpec>
}
interface CompiledOperation {
  method: string
  template: string
  pattern: RegExp
  /** Literal characters: more specific templates win (`/auth/sessions` over `/auth/sessions/{id}`). */
  literal: number
  operation: OperationSpec
}

let compiled: { operations: CompiledOperation[]; problem: ValidateFunction; validators: Map<unknown, ValidateFunction>; ajv: Ajv2020 } | undefined

function load() {
  if (compiled !== undefined) return compiled
  const document = buildOpenApiDocument()
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  // Response schemas refer to `#/components/...` of the document: resolve them against it.
  ajv.addSchema({ $id: REF_BASE, components: JSON.parse(JSON.stringify(document.components ?? {})) as unknown })
  const operations: CompiledOperation[] = []
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => (part === '{rest}' ? '.*' : part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('')
    for (const [method, operation] of Object.entries(item as Record<string, OperationSpec>)) {
      operations.push({ method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), literal: template.replace(/\{[^}]+\}/g, '').length, operation })
    }
  }
  operations.sort((a, b) => b.literal - a.literal)
  const problem = ajv.compile({ $ref: `${REF_BASE}#/components/schemas/Problem` })
  compiled = { operations, problem, validators: new Map(), ajv }
  return compiled
}

function validatorFor(schema: unknown): ValidateFunction {
  const c = load()
  let validate = c.validators.get(schema)
  if (validate === undefined) {
    validate = c.ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${REF_BASE}#/components/`)) as object)
    c.validators.set(schema, validate)
  }
  return validate
}

function fail(where: string, message: string): never {
  throw new Error(`OpenAPI document and response disagree: ${where}: ${message}`)
}

let checked = 0
/** How many responses were checked against the document so far (in this test file). */
export const checkedResponses = () => checked

/** Throws when `res` (to `method path`) is not what the document says. Leaves `res` unread. */
export async function assertDocumentedResponse(method: string, url: string, res: Response): Promise<void> {
  const path = new URL(url, 'http://x').pathname
  if (!DOCUMENTED.test(path)) return
  checked++
  const where = `${method} ${path} -> ${res.status}`
  const { operations, problem } = load()
  // HEAD is GET without the body (RFC 9110): the document lists GET only.
  const op = operations.find((o) => (o.method === method || (method === 'HEAD' && o.method === 'GET')) && o.pattern.test(path))
  const text = await res.clone().text()
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim()
  const spec = op?.operation.responses[String(res.status)] ?? (res.status >= 400 ? op?.operation.responses.default : undefined)

  if (op === undefined || spec === undefined) {
    if (res.status < 400) fail(where, op === undefined ? 'no such operation in the document' : 'this status is not documented')
    if (method === 'HEAD') return
    if (type !== 'application/problem+json') fail(where, `an error must be application/problem+json, not "${type}"`)
    if (!problem(JSON.parse(text))) fail(where, JSON.stringify(problem.errors))
    return
  }
  if (spec.content === undefined) {
    if (text !== '') fail(where, 'the document says no body')
    return
  }
  if (method === 'HEAD') return
  const media = spec.content[type]
  if (media === undefined) fail(where, `content type "${type}" is not one of ${Object.keys(spec.content).join(', ')}`)
  if (media.schema === undefined) return
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    fail(where, 'the body is not JSON')
  }
  const validate = validatorFor(media.schema)
  if (!validate(body)) fail(where, `${JSON.stringify(validate.errors)} in ${text.slice(0, 500)}`)
}

type RequestFn = (input: string | Request | URL, init?: RequestInit, ...rest: never[]) => Response | Promise<Response>

/** `app.request`, checking each response against the document before the test sees it. */
export function validatingRequest<F extends RequestFn>(request: F): F {
  return (async (input: string | Request | URL, init?: RequestInit, ...rest: never[]) => {
    const res = await request(input, init, ...rest)
    const url = input instanceof Request ? input.url : String(input)
    const method = (input instanceof Request ? input.method : (init?.method ?? 'GET')).toUpperCase()
    await assertDocumentedResponse(method, url, res)
    return res
  }) as F
}
