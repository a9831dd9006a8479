import { describe, expect, it } from 'vitest'
import { simulate } from './engine'
import { MIXES, parseMix } from './profiles'
import type { Job } from './workload'

const gpuOnly = parseMix('mid=1')
const one = (flops: number): Job[] => [{ kind: 'inference', id: 'one', tasks: [{ flops, bytes: 1e6, memoryBytes: 1e6 }] }]

describe('simulate (engine)', () => {
  it('without churn or slowness wastes nothing and finishes every task once', () => {
    for (const policy of ['nimble', 'round-robin', 'random'] as const) {
      const r = simulate(policy, { devices: 20, mix: MIXES['gpu-heavy'], churn: 0, seed: 3, slowRate: 0 })
      expect(r.finished).toBe(true)
      expect(r.tasksLost).toBe(0)
      expect(r.wastedDeviceSec).toBe(0)
      expect(r.utilization).toBeGreaterThan(0)
      expect(r.utilization).toBeLessThanOrEqual(1)
    }
  })

  it('reissues a task lost to churn and completes it exactly once, charging the lost time', () => {
    // One hour of work on a mid GPU; devices leave after 2 minutes on average.
    const flops = 3000e9 * 3600
    let lostRuns = 0
    for (let seed = 1; seed <= 5; seed++) {
      const r = simulate('round-robin', { devices: 3, mix: gpuOnly, churn: 0.5, seed, slowRate: 0, jobs: one(flops / 100) })
      expect(r.finished).toBe(true)
      expect(r.tasksDone).toBe(1)
      if (r.tasksLost > 0) {
        lostRuns++
        expect(r.wastedDeviceSec).toBeGreaterThan(0)
        expect(r.wastedCost).toBeGreaterThan(0)
        expect(r.cost).toBeGreaterThan(r.wastedCost)
      }
    }
    expect(lostRuns).toBeGreaterThan(0)
  })

  it('is deterministic for a seed and meets the same fleet under every policy', () => {
    const a = simulate('random', { devices: 30, mix: MIXES.volunteer, churn: 0.1, seed: 9 })
    const b = simulate('random', { devices: 30, mix: MIXES.volunteer, churn: 0.1, seed: 9 })
    expect(b).toEqual(a)
    expect(a.devicesSeen).toBeGreaterThan(30)
  })

  it('launches spare copies for stragglers under nimble only', () => {
    const r = simulate('nimble', { devices: 60, mix: MIXES['gpu-heavy'], churn: 0, seed: 2, slowRate: 0.3 })
    expect(r.sparesLaunched).toBeGreaterThan(0)
    expect(r.sparesWon).toBeGreaterThan(0)
    expect(simulate('random', { devices: 60, mix: MIXES['gpu-heavy'], churn: 0, seed: 2, slowRate: 0.3 }).sparesLaunched).toBe(0)
  })

  it('parses mixes and rejects bad ones by name', () => {
    expect(parseMix('volunteer')).toBe(MIXES.volunteer)
    expect(parseMix('cpu-wasm=3,datacenter=1')).toMatchObject({ 'cpu-wasm': 3, datacenter: 1, mid: 0 })
    expect(() => parseMix('gpus')).toThrow(/unknown mix "gpus"/)
    expect(() => parseMix('tpu=1')).toThrow(/unknown device class "tpu"/)
    expect(() => parseMix('mid=-1')).toThrow(/weight for mid/)
    expect(() => parseMix('mid=0')).toThrow(/at least one class/)
  })
})
