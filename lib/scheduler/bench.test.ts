import { describe, expect, it } from 'vitest'
import { benchAssign, benchDispatch } from './bench'

describe('benchAssign', () => {
  it('runs repeated dispatch calls and reports percentiles (no timing assertions)', () => {
    let tick = 0
    const r = benchAssign(() => (tick += 1), { tasks: 200, devices: 20, calls: 5, warmup: 1 })
    expect(r.calls).toBe(5)
    expect(r.p50Ms).toBe(1)
    expect(r.meanAssigned).toBeGreaterThan(0)
    expect(r.meanAssigned).toBeLessThanOrEqual(20)
  })

  it('models steady dispatch: one to four idle devices per call, work assigned from a refilled queue', () => {
    let tick = 0
    const r = benchDispatch(() => (tick += 1), { tasks: 500, devices: 50, calls: 100, warmup: 5 })
    expect(r.calls).toBe(100)
    expect(r.meanIdle).toBeGreaterThanOrEqual(1)
    expect(r.meanIdle).toBeLessThan(10)
    expect(r.meanAssigned).toBeGreaterThan(0.5)
  })

  it('makes the same decisions with the queue kept between calls as with the array', () => {
    let tick = 0
    const o = { tasks: 500, devices: 50, calls: 100, warmup: 5 }
    const a = benchDispatch(() => (tick += 1), o)
    const b = benchDispatch(() => (tick += 1), { ...o, kept: true })
    expect([b.meanAssigned, b.meanLate, b.meanIdle]).toEqual([a.meanAssigned, a.meanLate, a.meanIdle])
  })
})
