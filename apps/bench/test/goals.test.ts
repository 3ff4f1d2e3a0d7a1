import { describe, expect, it } from 'vitest'
import { goalLines } from '../src/report.js'
import { atLeast, atMost } from '../src/results.js'

describe("issue 12's goals in the bench report", () => {
  it('holds a bound as the issue states it: its edge is met, a hair past it is not', () => {
    expect(atLeast(1, 'gateway / bare, req/s', 0.85, 0.85)).toMatchObject({ bound: '>= 0.85', value: 0.85, met: true })
    expect(atLeast(1, 'gateway / bare, req/s', 0.849, 0.85).met).toBe(false)
    expect(atMost(1, 'p99 over bare, ms', 1, 1)).toMatchObject({ bound: '<= 1', met: true })
    expect(atMost(1, 'p99 over bare, ms', 1.001, 1).met).toBe(false)
    expect(atLeast(1, 'gateway / bare, req/s', Number.NaN, 0.85).met).toBe(false)
  })

  it('never counts what was not measured as met, and says why', () => {
    const skipped = atLeast(2, 'Postgres / SQLite, req/s', { skipReason: 'no Postgres row: initdb not found' }, 0.8)
    expect(skipped).toMatchObject({ value: null, met: false, skipReason: 'no Postgres row: initdb not found' })
    expect(atMost(2, 'CPU', null, 1.3)).toMatchObject({ value: null, met: false })
    expect(goalLines([skipped]).join('\n')).toMatch(/goal 2 +Postgres \/ SQLite, req\/s +>= 0\.8 +not measured: no Postgres row: initdb not found +NOT MET/)
  })

  it("prints every phase's goals in one block, by number, a goal MET only when all its bounds are", () => {
    const lines = goalLines([
      atLeast(2, 'Postgres / SQLite, req/s', 0.9, 0.8),
      atLeast(1, 'gateway / bare, req/s', 0.9, 0.85),
      atMost(1, 'gateway / bare, CPU per request', 1.5, 1.2),
      atMost(4, 'pushed by the workers phase', 1, 2),
    ])
    const rows = lines.filter((l) => l.startsWith('  goal '))
    expect(rows.map((l) => l.trim().split(/ +/).slice(0, 2).join(' '))).toEqual(['goal 1', 'goal 1', 'goal 2', 'goal 4'])
    expect(rows[1]).toMatch(/1\.5 +NOT MET$/)
    expect(rows[0]).toMatch(/0\.9 +met$/)
    expect(lines.at(-1)).toBe('goal 1: NOT MET; goal 2: MET; goal 4: MET')
    expect(goalLines([])).toEqual([])
  })
})
