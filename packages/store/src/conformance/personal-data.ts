import { expect, it } from 'vitest'
import { verifyAuditChain } from '../audit-chain.js'
import type { Store } from '../store.js'
import { newSession, newUser, T0 } from './fixtures.js'

/** The anomaly baseline and the retention erasure, as every store must do them. */
export function personalDataConformance(store: () => Store): void {
  it('moves the anomaly baseline of a live session, never of an ended one', async () => {
    const u = await store().createUser(newUser())
    const s = newSession(u.id)
    await store().createSession(s)
    await store().setSessionFingerprint(s.id, { uaFamilyHash: 'ua2', networkHash: 'net2' })
    expect(await store().findSessionWithUser(s.id)).toMatchObject({ session: { uaFamilyHash: 'ua2', networkHash: 'net2' } })
    await store().revokeSession(s.id, 'anomaly', T0 + 1)
    await store().setSessionFingerprint(s.id, { uaFamilyHash: 'ua3', networkHash: 'net3' })
    expect(await store().findSession(s.id)).toMatchObject({ uaFamilyHash: 'ua2', networkHash: 'net2', revokedReason: 'anomaly' })
  })

  it('erases the personal fields of events before a time, keeps the rest, and the chain still verifies', async () => {
    const personal = { clientIp: '192.0.2.1', userAgent: 'agent/1', deviceName: 'Phone' }
    await store().appendAudit({ type: 'session.created', at: T0, userId: 'u1', sessionId: 's1', ...personal, details: { a: 1 } })
    await store().appendAudit({ type: 'keys.rotated', at: T0 + 1, details: { kid: 'k' } })
    await store().appendAudit({ type: 'login.succeeded', at: T0 + 2, userId: 'u1', clientIp: '192.0.2.2', userAgent: 'agent/2' })
    await store().appendAudit({ type: 'session.created', at: T0 + 10, userId: 'u1', ...personal })
    const before = await store().auditPage(0, 100)
    expect(before[0]).toMatchObject(personal)

    expect(await store().eraseAuditPersonalData(T0 + 10)).toBe(2)
    const after = await store().auditPage(0, 100)
    for (const i of [0, 2]) {
      expect(after[i]!.clientIp).toMatch(/^erased:[0-9a-f]{64}$/)
      expect(after[i]!.userAgent).toMatch(/^erased:[0-9a-f]{64}$/)
      expect({ ...after[i], clientIp: 0, userAgent: 0, deviceName: 0 }).toEqual({ ...before[i], clientIp: 0, userAgent: 0, deviceName: 0 })
    }
    expect(after[0]!.deviceName).toMatch(/^erased:/)
    expect(after[2]!.deviceName).toBeNull()
    expect(after[1]).toEqual(before[1])
    expect(after[3]).toEqual(before[3])
    expect(await verifyAuditChain((a, l) => store().auditPage(a, l))).toEqual({ ok: true, checked: 4 })
    expect(await store().eraseAuditPersonalData(T0 + 10)).toBe(0)
  })
}
