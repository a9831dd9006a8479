import { describe, expect, it } from 'vitest'
import type { DeviceSlot, TaskNeed } from './match'
import { spares, type RunningLease } from './straggler'

const task = (id: number, extra: Partial<TaskNeed> = {}): TaskNeed => ({ id, memoryBytes: 1, flops: 1e12, ...extra }) // 1 s at 1,000 GFLOP/s
const dev = (id: string, gflops: number, extra: Partial<DeviceSlot> = {}): DeviceSlot => ({ id, gflops, memoryBudget: 0, backend: 'webgpu', ...extra })
const lease = (taskId: number, startedAt: number, extra: Partial<RunningLease> = {}): RunningLease => ({ taskId, deviceId: `busy${taskId}`, startedAt, expectedMs: 1000, hasSpare: false, ...extra })
const tasks = new Map([1, 2, 3].map((id) => [id, task(id)]))
const of = (id: number) => tasks.get(id)

describe('spares', () => {
  it('launches a spare only past factor x expected time and the floor', () => {
    const idle = [dev('fast', 1000)]
    expect(spares([lease(1, 0)], idle, of, { now: 1999 })).toEqual([])
    expect(spares([lease(1, 0)], idle, of, { now: 2001 })).toEqual([{ taskId: 1, deviceId: 'fast', expectedMs: 1000, originalRemainingMs: 2001 }])
    // Short expected time: the floor decides.
    expect(spares([lease(1, 0, { expectedMs: 10 })], idle, of, { now: 1500, minMs: 2000 })).toEqual([])
    expect(spares([lease(1, 0)], idle, of, { now: 3500, factor: 4 })).toEqual([])
  })

  it('at most one spare per task, one task per idle device, most overdue first', () => {
    const idle = [dev('a', 1000), dev('b', 1000)]
    const out = spares([lease(1, 0, { hasSpare: true }), lease(2, 1000), lease(3, 0)], idle, of, { now: 10_000 })
    expect(out.map((s) => s.taskId)).toEqual([3, 2])
    expect(new Set(out.map((s) => s.deviceId)).size).toBe(2)
    expect(spares([lease(2, 0), lease(3, 0)], [dev('a', 1000)], of, { now: 10_000 })).toHaveLength(1)
  })

  it('only when an idle device that fits would finish sooner than the original', () => {
    // Overdue by 3 s: assumed 3 s left. A device needing 10 s is no help.
    expect(spares([lease(1, 0)], [dev('slow', 100)], of, { now: 3000 })).toEqual([])
    // Progress 90% at 3 s: about 0.33 s left; even a 1 s device is no help.
    expect(spares([lease(1, 0, { progress: 0.9 })], [dev('fast', 1000)], of, { now: 3000 })).toEqual([])
    const big = new Map([[1, task(1, { memoryBytes: 1e9, backends: ['webgpu'] })]])
    const idle = [dev('small', 30_000, { memoryBudget: 1e6 }), dev('wasm', 30_000, { backend: 'wasm' }), dev('ok', 2000)]
    expect(spares([lease(1, 0)], idle, (id) => big.get(id), { now: 5000 }).map((s) => s.deviceId)).toEqual(['ok'])
  })

  it('picks the idle device that finishes soonest, never the straggling one', () => {
    const idle = [dev('busy1', 90_000), dev('mid', 2000), dev('fast', 8000)]
    expect(spares([lease(1, 0)], idle, of, { now: 5000 })).toMatchObject([{ deviceId: 'fast' }])
  })
})
