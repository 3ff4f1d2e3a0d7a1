import http from 'node:http'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface Logins {
  /** "name=value" per user, in order. */
  cookies: string[]
  /** Each login's time, ms. */
  latenciesMs: number[]
  seconds: number
}

/** Logs each user in with POST /auth/login over HTTP, `concurrency` at a time (keep-alive connections). */
export async function loginAll(baseUrl: string, usernames: readonly string[], password: string, concurrency: number): Promise<Logins> {
  const cookies = new Array<string>(usernames.length)
  const latenciesMs: number[] = []
  let next = 0
  const worker = async () => {
    while (next < usernames.length) {
      const i = next++
      const started = performance.now()
      const res = await fetch(`${baseUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'gatehouse-bench/1' },
        body: JSON.stringify({ username: usernames[i], password }),
      })
      if (res.status !== 200) throw new Error(`login of ${usernames[i]} failed: ${res.status} ${await res.text()}`)
      const header = res.headers.getSetCookie()[0]
      if (header === undefined) throw new Error('login set no cookie')
      cookies[i] = header.split(';')[0]!
      await res.arrayBuffer()
      latenciesMs.push(performance.now() - started)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { cookies, latenciesMs, seconds: (performance.now() - started) / 1000 }
}

/** GET that must answer 200; returns the body. */
export async function getOk(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers })
  const body = await res.text()
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body}`)
  return body
}

/** `total` bytes generated from one reused chunk, never held whole. */
function generated(total: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 'upload-')
  let left = total
  return new Readable({
    read() {
      if (left === 0) return void this.push(null)
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= piece.length
      this.push(piece)
    },
  })
}

const discard = (counter: { bytes: number }) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length
      done()
    },
  })

/** Downloads `path` and counts the bytes, discarding them. */
export function download(baseUrl: string, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { headers: { cookie }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download: ${res.statusCode}`))
      const counter = { bytes: 0 }
      pipeline(res, discard(counter)).then(() => resolve(counter.bytes), reject)
    })
    req.once('error', reject)
  })
}

/** Uploads `bytes` generated on the fly to `path`; resolves with the upstream's JSON answer. */
export function upload(baseUrl: string, path: string, cookie: string, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${path}`,
      { method: 'POST', headers: { cookie, 'content-type': 'application/octet-stream', 'content-length': String(bytes) }, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (d: string) => (body += d))
        res.once('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`upload: ${res.statusCode} ${body}`))))
      },
    )
    req.once('error', reject)
    pipeline(generated(bytes), req).catch(reject)
  })
}
