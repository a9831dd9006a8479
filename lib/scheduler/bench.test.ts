import { describe, expect, it } from 'vitest'
import { benchAssign } from './bench'

describe('benchAssign', () => {
  it('runs repeated dispatch calls and reports percentiles (no timing assertions)', () => {
    let tick = 0
    const r = benchAssign(() => (tick += 1), { tasks: 200, devices: 20, calls: 5, warmup: 1 })
    expect(r.calls).toBe(5)
    expect(r.p50Ms).toBe(1)
    expect(r.meanAssigned).toBeGreaterThan(0)
    expect(r.meanAssigned).toBeLessThanOrEqual(20)
  })
})
