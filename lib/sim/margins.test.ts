import { describe, expect, it } from 'vitest'
import { simulate } from './engine'
import { MIXES } from './profiles'

describe('nimble against the baselines (200 volunteer devices, 5% churn a minute, seeded)', () => {
  it('is at least 30% faster and 20% cheaper than round-robin and random in the same run', { timeout: 60_000 }, () => {
    const o = { devices: 200, mix: MIXES.volunteer, churn: 0.05, seed: 7 }
    const nimble = simulate('nimble', o)
    expect(nimble.finished).toBe(true)
    expect(nimble.tasksLost).toBeGreaterThan(0) // churn really hit running tasks
    for (const base of [simulate('round-robin', o), simulate('random', o)]) {
      expect(base.finished).toBe(true)
      expect(nimble.makespanSec).toBeLessThanOrEqual(0.7 * base.makespanSec)
      expect(nimble.cost).toBeLessThanOrEqual(0.8 * base.cost)
    }
  })
})
