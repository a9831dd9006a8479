import { describe, expect, it } from 'vitest'
import { assign } from './assign'
import type { DeviceSlot, TaskNeed } from './match'
import { DEFAULT_PRICES, expectedMs } from './pricing'

const now = 1_000_000
const opts = { now, prices: DEFAULT_PRICES }
const gpu = (id: string, extra: Partial<DeviceSlot> = {}): DeviceSlot => ({ id, gflops: 1000, memoryBudget: 0, backend: 'webgpu', ...extra })

describe('blob affinity', () => {
  const weights = { hash: 'w', bytes: 1e8 }
  const task: TaskNeed = { id: 1, memoryBytes: 1, flops: 1e9, blobs: [weights] }

  it('adds only the blobs a device lacks to its expected time', () => {
    expect(expectedMs(task, { gflops: 1000, bandwidth: 1e8 })).toBeCloseTo(1 + 1000)
    expect(expectedMs(task, { gflops: 1000, bandwidth: 1e8, cached: new Set(['w']) })).toBeCloseTo(1)
    // Unmeasured bandwidth: planned at 10 MB/s rather than free, so the holder still wins.
    expect(expectedMs(task, { gflops: 1000 })).toBeCloseTo(1 + 10_000)
  })

  it('puts the task on the device holding its blobs, equal otherwise, and says why in cost', () => {
    for (const bandwidth of [1e8, undefined]) {
      const devices = [gpu('a', { bandwidth }), gpu('holder', { bandwidth, cached: new Set(['w']) }), gpu('c', { bandwidth })]
      const r = assign([task], devices, opts)
      expect(r.assignments[0].deviceId).toBe('holder')
      expect(r.explain(1)!.runnerUp!.cost).toBeGreaterThan(r.assignments[0].cost!)
    }
  })

  it('weighs blob transfer against speed: a fast device without the blob can still win', () => {
    const small = { ...task, flops: 1e14, blobs: [{ hash: 'w', bytes: 1e6 }] }
    const devices = [gpu('slow-holder', { bandwidth: 1e8, cached: new Set(['w']) }), gpu('fast', { gflops: 30_000, bandwidth: 1e8 })]
    expect(assign([small], devices, opts).assignments[0].deviceId).toBe('fast')
  })
})

describe('quotas', () => {
  const devices = ['a', 'b', 'c', 'd'].map((id) => gpu(id))
  const t = (id: number, jobId: string, owner: string, priority = 0): TaskNeed => ({ id, memoryBytes: 1, flops: 1e9, jobId, owner, priority, createdAt: id })

  it('caps concurrent leases per job, counting those already running; others take the rest', () => {
    const tasks = [t(1, 'A', 'x', 5), t(2, 'A', 'x', 5), t(3, 'A', 'x', 5), t(4, 'B', 'y'), t(5, 'B', 'y'), t(6, 'C', 'z')]
    const served = (quotas: object, running?: Record<string, number>) =>
      assign(tasks, devices, { ...opts, quotas, running }).assignments.map((a) => a.taskId).sort((x, y) => x - y)
    expect(served({})).toEqual([1, 2, 3, 4])
    expect(served({ jobs: { A: 1 } })).toEqual([1, 4, 5, 6])
    // Job A already holds its one lease: none of its tasks go out.
    expect(served({ jobs: { A: 1 } }, { A: 1 })).toEqual([4, 5, 6])
    expect(served({ jobs: { A: 0, B: 1 } })).toEqual([4, 6])
  })

  it('caps per owner across that owner\'s jobs', () => {
    const tasks = [t(1, 'A', 'x', 5), t(2, 'B', 'x', 5), t(3, 'C', 'x', 5), t(4, 'D', 'y'), t(5, 'D', 'y')]
    const run = (runningByOwner?: Record<string, number>) =>
      assign(tasks, devices, { ...opts, quotas: { owners: { x: 2 } }, runningByOwner }).assignments.map((a) => a.taskId).sort((x, y) => x - y)
    expect(run()).toEqual([1, 2, 4, 5])
    expect(run({ x: 1 })).toEqual([1, 4, 5])
  })
})

describe('maxCostRatio', () => {
  it('keeps a compute-heavy task off a slow dear-per-FLOP device while a cheaper one is connected', () => {
    const cpu: DeviceSlot = { id: 'cpu', gflops: 10, memoryBudget: 0, backend: 'wasm' }
    const big = gpu('big', { gflops: 10_000 })
    const heavy: TaskNeed = { id: 1, memoryBytes: 1, flops: 1e13 }
    expect(assign([heavy], [cpu], opts).assignments).toHaveLength(1)
    const r = assign([heavy], [cpu], { ...opts, maxCostRatio: 2, fleetSlots: [cpu, big], fleet: ['cpu', 'big'] })
    expect(r.assignments).toEqual([])
    // With the big device idle too it goes there and the explanation says why not the cpu.
    const both = assign([heavy], [cpu, big], { ...opts, maxCostRatio: 2, fleetSlots: [cpu, big] })
    expect(both.explain(1)).toMatchObject({ deviceId: 'big', reason: 'only-fit', rejected: [{ deviceId: 'cpu', why: expect.stringContaining('cheapest connected') }] })
    // A transfer-bound task is cheapest on the cpu device (its seconds cost least): it runs there.
    const light: TaskNeed = { id: 2, memoryBytes: 1, flops: 1e6, bytes: 1e8 }
    const bw = [{ ...cpu, bandwidth: 1e7 }, { ...big, bandwidth: 1e7 }]
    expect(assign([light], [bw[0]], { ...opts, maxCostRatio: 2, fleetSlots: bw }).assignments).toHaveLength(1)
  })
})
