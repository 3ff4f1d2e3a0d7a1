import { describe, expect, it } from 'vitest'
import { makeGateway, PASSWORD } from './helpers.js'

function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)))
  return line === undefined ? NaN : Number(line.split(' ').at(-1))
}

describe('GET /metrics', () => {
  it('serves Prometheus text with requests, logins, revocations, rate limits, reuse, sessions and key age', async () => {
    const gw = await makeGateway({ env: { GATEHOUSE_ROTATE_EVERY: '300', GATEHOUSE_ROTATE_GRACE: '30' } })
    await gw.createUser('alice')
    await gw.createUser('bob')
    const alice = await gw.login('alice')
    await gw.login('bob')
    for (let i = 0; i < 6; i++) await gw.request('/auth/login', { body: { username: 'carol', password: 'wrong wrong' } })
    await gw.request('/auth/session', { cookie: alice })
    await gw.request('/auth/logout', { method: 'POST', cookie: alice })
    // A rotated-out cookie replayed after the grace window.
    const bobOld = await gw.login('bob')
    gw.clock.advance(300_000)
    await gw.request('/auth/session', { cookie: bobOld })
    gw.clock.advance(31_000)
    await gw.request('/auth/session', { cookie: bobOld })

    const res = await gw.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(sample(text, 'gatehouse_logins_total', '{outcome="success"}')).toBe(3)
    expect(sample(text, 'gatehouse_logins_total', '{outcome="failed"}')).toBe(5)
    expect(sample(text, 'gatehouse_logins_total', '{outcome="rate_limited"}')).toBe(1)
    expect(sample(text, 'gatehouse_rate_limit_refusals_total')).toBe(1)
    expect(sample(text, 'gatehouse_session_revocations_total', '{reason="logout"}')).toBe(1)
    expect(sample(text, 'gatehouse_session_revocations_total', '{reason="reuse_detected"}')).toBe(1)
    expect(sample(text, 'gatehouse_reuse_detections_total', '{kind="cookie"}')).toBe(1)
    expect(sample(text, 'gatehouse_http_requests_total', '{route_class="auth",status="401"}')).toBeGreaterThanOrEqual(5)
    expect(sample(text, 'gatehouse_http_requests_total', '{route_class="auth",status="429"}')).toBe(1)
    expect(sample(text, 'gatehouse_active_sessions')).toBe(1) // bob's first session
    expect(text).toMatch(/gatehouse_gateway_duration_seconds_bucket\{le="0.005",route_class="auth"\}/)
    expect(text).toMatch(/gatehouse_process_resident_memory_bytes/)
    expect(sample(text, 'gatehouse_signing_key_age_seconds')).toBeGreaterThanOrEqual(0)
  })

  it('cannot tell an unknown username from a wrong password: both change the same series by the same amounts', async () => {
    const gw = await makeGateway()
    await gw.createUser('alice')
    const series = async () => {
      const text = await (await gw.request('/metrics')).text()
      // Counters only: durations and process gauges differ from run to run whatever is asked.
      return new Map(
        text
          .split('\n')
          .filter((l) => /^gatehouse_(logins|http_requests|rate_limit|session|reuse)/.test(l))
          .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const),
      )
    }
    const delta = (before: Map<string, number>, after: Map<string, number>) =>
      [...after].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k, v]) => `${k} +${v - (before.get(k) ?? 0)}`).sort()
    // Each kind six times from its own address: five failures, then a refusal.
    const attempts = async (username: string, ip: string) => {
      const other = (await import('../src/app.js')).createGateway({
        config: gw.config,
        store: gw.store,
        clock: gw.clock,
        hasher: gw.hasher,
        logger: (await import('../src/logging/logger.js')).createLogger('silent'),
        clientIp: () => ip,
        metrics: gw.metrics,
      })
      for (let i = 0; i < 6; i++) {
        await other.app.request('/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: gw.config.publicOrigin },
          body: JSON.stringify({ username, password: 'wrong wrong' }),
        })
      }
    }
    const t0 = await series()
    await attempts('alice', '198.51.100.1')
    const t1 = await series()
    await attempts('nobody-at-all', '198.51.100.2')
    const t2 = await series()
    expect(delta(t0, t1)).toEqual(delta(t1, t2))
    expect(delta(t0, t1)).toContain('gatehouse_logins_total{outcome="failed"} +5')
  })

  it('never carries a user id, session id, username or cookie as a label value', async () => {
    const gw = await makeGateway()
    const alice = await gw.createUser('alice')
    const cookie = await gw.login('alice')
    const sid = (await (await gw.request('/auth/session', { cookie })).json()).session.id
    await gw.request('/auth/login', { body: { username: 'alice', password: 'wrong wrong' } })
    const text = await (await gw.request('/metrics')).text()
    for (const secret of [alice.id, sid, 'alice', cookie.split('=')[1]!, PASSWORD]) expect(text).not.toContain(secret)
  })
})

describe('upstream metrics', () => {
  it('times proxied calls per upstream and outcome, and keeps the upstream wait out of the gateway histogram', async () => {
    const { startUpstream, closedPort } = await import('./proxy-helpers.js')
    const upstream = await startUpstream((_req, res) => res.end('{"ok":true}'))
    const gw = await makeGateway({ env: { GATEHOUSE_UPSTREAMS: `ok=${upstream.url},down=http://127.0.0.1:${await closedPort()}` } })
    try {
      await gw.createUser('alice')
      const cookie = await gw.login('alice')
      expect((await gw.request('/api/ok/x', { cookie })).status).toBe(200)
      expect((await gw.request('/api/down/x', { cookie })).status).toBe(502)
      const text = await (await gw.request('/metrics')).text()
      expect(sample(text, 'gatehouse_upstream_duration_seconds_count', '{upstream="ok",outcome="answered"}')).toBe(1)
      expect(sample(text, 'gatehouse_upstream_duration_seconds_count', '{upstream="down",outcome="failed"}')).toBe(1)
      expect(sample(text, 'gatehouse_http_requests_total', '{route_class="api",status="502"}')).toBe(1)
      expect(sample(text, 'gatehouse_gateway_duration_seconds_count', '{route_class="api"}')).toBe(2)
    } finally {
      await upstream.close()
    }
  })
})
