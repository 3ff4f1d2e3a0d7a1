import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../src/config/routes-file.js'
import { compileRoutePolicy } from '../src/proxy/route-policy.js'

const rule = (r: Partial<RouteConfig> & { upstream: string }): RouteConfig => ({
  pathPrefix: '/',
  methods: undefined,
  roles: [],
  anonymous: false,
  timeoutMs: undefined,
  maxBodyBytes: undefined,
  token: 'jwt',
  line: 1,
  ...r,
})

describe('compileRoutePolicy', () => {
  const lookup = compileRoutePolicy(
    [
      rule({ upstream: 'orders', timeoutMs: 1000 }),
      rule({ upstream: 'orders', pathPrefix: '/admin', roles: ['admin'] }),
      rule({ upstream: 'orders', pathPrefix: '/admin', methods: ['GET'], roles: ['admin', 'auditor'] }),
      rule({ upstream: 'orders', pathPrefix: '/admin/public', anonymous: true }),
    ],
    30_000,
  )

  it('applies the longest matching prefix, whatever the order in the file', () => {
    expect(lookup('orders', 'POST', '/admin/public/x')).toMatchObject({ anonymous: true, roles: [] })
    expect(lookup('orders', 'POST', '/admin/x')).toMatchObject({ roles: ['admin'] })
    expect(lookup('orders', 'POST', '/other')).toMatchObject({ roles: [], timeoutMs: 1000 })
  })

  it('prefers a rule naming the method over one that does not, and treats HEAD as GET', () => {
    expect(lookup('orders', 'GET', '/admin/x').roles).toEqual(['admin', 'auditor'])
    expect(lookup('orders', 'HEAD', '/admin/x').roles).toEqual(['admin', 'auditor'])
    expect(lookup('orders', 'DELETE', '/admin/x').roles).toEqual(['admin'])
  })

  it("fills what a rule leaves out from the gateway's defaults, not from other rules", () => {
    expect(lookup('orders', 'GET', '/admin/x').timeoutMs).toBe(30_000)
    expect(lookup('profile', 'GET', '/anything')).toEqual({ roles: [], anonymous: false, timeoutMs: 30_000, maxBodyBytes: undefined, token: 'jwt' })
  })

  it('matches whole segments of the decoded, lower-cased path', () => {
    expect(lookup('orders', 'POST', '/administrator').roles).toEqual([])
    for (const rest of ['/admin', '/ADMIN/x', '/%41dmin/x', '/%2541dmin/x', '//admin//x', '/admin;v=1/x']) {
      expect(lookup('orders', 'POST', rest).roles, rest).toEqual(['admin'])
    }
  })
})
