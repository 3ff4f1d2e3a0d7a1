import autocannon from 'autocannon'
import { percentile, round } from './stats.js'

export interface LoadRequest {
  method?: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadSpec {
  /** The target's origin, e.g. http://127.0.0.1:4001 */
  url: string
  connections: number
  /** Seconds; or `amount`. */
  durationS?: number
  /** Stop after exactly this many requests; the list's length sends each request exactly once. */
  amount?: number
  /** Each connection cycles through its own share of them (every n-th entry), pre-built. */
  requests: readonly LoadRequest[]
}

export interface LoadResult {
  /** 2xx answers. */
  ok: number
  non2xx: number
  errors: number
  durationS: number
  rps: number
  p50Ms: number
  p99Ms: number
  meanMs: number
}

/** Latencies (ms, sub-millisecond) of 2xx answers; autocannon's own histogram keeps whole ms only. */
class Latencies {
  private values = new Float64Array(1 << 16)
  private n = 0
  add(ms: number) {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2)
      bigger.set(this.values)
      this.values = bigger
    }
    this.values[this.n++] = ms
  }
  sorted(): Float64Array {
    return this.values.subarray(0, this.n).sort()
  }
}

function toAutocannon(r: LoadRequest): autocannon.Request {
  return { method: r.method ?? 'GET', path: r.path, headers: r.headers ?? {}, ...(r.body === undefined ? {} : { body: r.body }) }
}

/** Connection `i` of `n` takes every n-th request from the i-th on (at least one), so together they cover the list. */
function share(list: readonly autocannon.Request[], i: number, n: number): autocannon.Request[] {
  const mine = list.filter((_, j) => j % n === i)
  return mine.length > 0 ? mine : [list[i % list.length]!]
}

/** One autocannon run, pipelining 1, in this process (the servers it measures are child processes). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const list = spec.requests.map(toAutocannon)
  if (list.length === 0) throw new TypeError('no requests')
  // autocannon refuses more connections than requests.
  const connections = spec.amount === undefined ? spec.connections : Math.min(spec.connections, spec.amount)
  let clientIndex = 0
  const options: autocannon.Options = {
    url: spec.url,
    connections,
    pipelining: 1,
    // Stops within 0.1 s of the end rather than at the next whole second.
    sampleInt: 100,
    ...(spec.amount === undefined ? { duration: spec.durationS ?? 1 } : { amount: spec.amount }),
    // Each client deep-copies the options, so they carry one request; setupClient then hands each
    // client its share. With `amount`, autocannon gives connection i exactly as many requests as
    // its share holds.
    requests: [list[0]!],
    setupClient: (client: autocannon.Client) => client.setRequests(share(list, clientIndex++, connections)),
  }
  const latencies = new Latencies()
  let sum = 0
  let started = performance.now()
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)))
      // From the first request (after the clients were built) to the last client's end.
      const durationS = (performance.now() - started) / 1000
      const sorted = latencies.sorted()
      const ok = sorted.length
      resolve({
        ok,
        non2xx: result.non2xx,
        errors: result.errors,
        durationS: round(durationS, 3),
        rps: round(ok / durationS, 0),
        p50Ms: round(percentile(sorted, 50), 3),
        p99Ms: round(percentile(sorted, 99), 3),
        meanMs: round(ok === 0 ? Number.NaN : sum / ok, 3),
      })
    })
    instance.once('start', () => (started = performance.now()))
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        latencies.add(ms)
        sum += ms
      }
    })
  })
}
