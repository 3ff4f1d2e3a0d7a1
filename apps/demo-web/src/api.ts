// The one place the page talks to the gateway. Every call is same-origin and sends the
// HttpOnly session cookie the browser holds; the page never sees that cookie's value, and no
// answer it gets ever holds a token (the gateway adds the JWT on its way to a service).

/** An RFC 9457 problem from the gateway (or a service behind it), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The stable `code` (`ERR_BAD_CREDENTIALS`, …); `ERR_NETWORK` when nothing answered. */
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    /** Seconds to wait before trying again, from Retry-After (or `retryAfter` in the body). */
    readonly retryAfter: number | undefined,
    /** On a 401 for a session that ended: why (`device_revoked`, `expired`, …). */
    readonly reason?: string,
  ) {
    super(detail ?? title)
    this.name = 'ApiError'
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE'
  body?: unknown
}

/** What came back, for the screens that show a service's raw answer. */
export interface RawAnswer {
  status: number
  contentType: string
  body: unknown
}

let sessionLost: ((reason: string | undefined) => void) | undefined

/** Called on any 401 that is not a wrong password: the session is gone, back to the login form. */
export function onSessionLost(handler: (reason: string | undefined) => void): void {
  sessionLost = handler
}

function retryAfterSeconds(res: Response, body: Record<string, unknown>): number | undefined {
  const header = res.headers.get('retry-after')
  if (header !== null) {
    if (/^\d+$/.test(header.trim())) return Number(header)
    const at = Date.parse(header)
    if (Number.isFinite(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000))
  }
  return typeof body.retryAfter === 'number' ? body.retryAfter : undefined
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204 || res.status === 205) return undefined
  const type = res.headers.get('content-type') ?? ''
  const text = await res.text()
  if (/[/+]json\b/.test(type) && text !== '') {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

async function send(path: string, options: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  try {
    return await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      // Same-origin only: the cookie goes to the gateway that set it and nowhere else.
      credentials: 'same-origin',
      mode: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    })
  } catch {
    throw new ApiError(0, 'ERR_NETWORK', 'The gateway did not answer', undefined, undefined)
  }
}

function toError(res: Response, body: unknown): ApiError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const code = typeof problem.code === 'string' ? problem.code : `HTTP_${res.status}`
  const title = typeof problem.title === 'string' ? problem.title : res.statusText || `HTTP ${res.status}`
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined
  const reason = typeof problem.reason === 'string' ? problem.reason : undefined
  return new ApiError(res.status, code, title, detail, retryAfterSeconds(res, problem), reason)
}

/** Calls the gateway; throws ApiError on any error status, after a lost session is handled. */
export async function callRaw(path: string, options: CallOptions = {}): Promise<RawAnswer> {
  const res = await send(path, options)
  const body = await readBody(res)
  if (!res.ok) {
    const error = toError(res, body)
    // A wrong password is an answer to show on the form, not a lost session.
    if (res.status === 401 && error.code !== 'ERR_BAD_CREDENTIALS') sessionLost?.(error.reason)
    throw error
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body }
}

/** The JSON answer of a call (undefined for 204). */
export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  return (await callRaw(path, options)).body as T
}
