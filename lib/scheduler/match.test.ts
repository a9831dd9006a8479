import { describe, expect, it } from 'vitest'
import { matchTasks } from './match'

describe('matchTasks', () => {
  it('gives the first task to the fastest device that fits', () => {
    const out = matchTasks(
      [
        { id: 'slow', gflops: 1, memoryBudget: 1e9 },
        { id: 'fast', gflops: 20, memoryBudget: 1e9 },
      ],
      [
        { id: 1, memoryBytes: 1e6, flops: 2e9 },
        { id: 2, memoryBytes: 1e6, flops: 2e9 },
        { id: 3, memoryBytes: 1e6, flops: 2e9 },
      ],
    )
    expect(out.map((a) => [a.taskId, a.deviceId])).toEqual([
      [1, 'fast'],
      [2, 'slow'],
    ])
    expect(out[0].expectedMs).toBeCloseTo(100)
  })

  it('keeps a task off a device that failed it while another device could take it', () => {
    const devices = [{ id: 'flaky', gflops: 10, memoryBudget: 1e9 }]
    const task = { id: 7, memoryBytes: 1, flops: 1, avoid: ['flaky'] }
    expect(matchTasks(devices, [task], ['flaky', 'busy-other'])).toEqual([])
    // When the failing device is the only one left, it gets another try.
    expect(matchTasks(devices, [task], ['flaky']).map((a) => a.deviceId)).toEqual(['flaky'])
  })

  it('gives a task only to a device whose backend can run it', () => {
    const out = matchTasks(
      [
        { id: 'fast-wasm', gflops: 20, memoryBudget: 1e9, backend: 'wasm' },
        { id: 'slow-gpu', gflops: 1, memoryBudget: 1e9, backend: 'webgpu' },
      ],
      [{ id: 1, memoryBytes: 1, flops: 1, backends: ['webgpu', 'cpu'] }],
    )
    expect(out.map((a) => a.deviceId)).toEqual(['slow-gpu'])
  })

  it('keeps a pipeline stage on its device while that device is connected, and moves it when it leaves', () => {
    const idle = [{ id: 'other', gflops: 50, memoryBudget: 1e9 }]
    const stage = { id: 1, memoryBytes: 1, flops: 1, prefer: 'owner' }
    expect(matchTasks(idle, [stage], ['other', 'owner'])).toEqual([])
    expect(matchTasks(idle, [stage], ['other']).map((a) => a.deviceId)).toEqual(['other'])
    expect(matchTasks([...idle, { id: 'owner', gflops: 1, memoryBudget: 1e9 }], [stage]).map((a) => a.deviceId)).toEqual(['owner'])
  })

  it('skips devices too small for the task and leaves tasks nobody can hold', () => {
    const out = matchTasks(
      [
        { id: 'tiny', gflops: 50, memoryBudget: 1e3 },
        { id: 'big', gflops: 1, memoryBudget: 1e9 },
      ],
      [
        { id: 1, memoryBytes: 1e12, flops: 1 },
        { id: 2, memoryBytes: 1e6, flops: 1 },
      ],
    )
    expect(out).toEqual([{ taskId: 2, deviceId: 'big', expectedMs: expect.any(Number) }])
  })
})
