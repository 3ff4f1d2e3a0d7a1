import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AggregatorRegistry } from 'prom-client'
import type { ListenAddress } from '../config/ops-address.js'
import { problemResponse } from '../http/problem.js'
import type { FromWorker } from './messages.js'

export type OpsAnswer = Extract<FromWorker, { type: 'ops' }>

/** Asks every live worker's operations app; answers undefined for a worker that did not answer in time. */
export type AskWorkers = (path: string) => Promise<Array<OpsAnswer | undefined>>

/**
 * What the operations listener answers for N workers: `/metrics` is every worker's registry added
 * up (counters and histograms summed; the store's gauges, which every worker reads alike, taken
 * once); any other path is the first refusal among the workers (a `/readyz` is ready only when
 * every worker is), or else the first worker's answer.
 */
export async function opsResponse(path: string, ask: AskWorkers): Promise<Response> {
  const answers = await ask(path)
  if (answers.length === 0 || answers.some((a) => a === undefined)) {
    return problemResponse('ERR_NOT_READY', { detail: answers.length === 0 ? 'no worker is running' : 'a worker did not answer' })
  }
  const all = answers as OpsAnswer[]
  if (path === '/metrics' && all.every((a) => a.metrics !== undefined)) {
    const registry = AggregatorRegistry.aggregate(all.map((a) => a.metrics!))
    return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } })
  }
  const chosen = all.find((a) => a.status >= 300) ?? all[0]!
  return new Response(chosen.body === '' ? null : chosen.body, {
    status: chosen.status,
    headers: { 'cache-control': 'no-store', ...(chosen.contentType === null ? {} : { 'content-type': chosen.contentType }) },
  })
}

/** The primary's listener on GATEHOUSE_OPS_ADDRESS: the workers' `/metrics`, `/healthz` and `/readyz` as one. */
export function listenOps(address: ListenAddress, ask: AskWorkers): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://ops').pathname
    const answer = req.method === 'GET' || req.method === 'HEAD' ? opsResponse(path, ask) : Promise.resolve(problemResponse('ERR_METHOD_NOT_ALLOWED'))
    answer
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers))
        res.end(req.method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer()))
      })
      .catch(async () => {
        const refusal = problemResponse('ERR_INTERNAL')
        res.writeHead(refusal.status, Object.fromEntries(refusal.headers))
        res.end(await refusal.text())
      })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${port}` })
    })
  })
}
