import { describe, expect, it } from 'vitest'
import { tasksPerMinute } from './use-network-history'

describe('tasksPerMinute', () => {
  it('rates finished tasks between pushes and ignores a falling count', () => {
    const s = [
      { at: 0, gflops: 1, devices: 1, done: 10 },
      { at: 30_000, gflops: 1, devices: 1, done: 16 },
      { at: 60_000, gflops: 1, devices: 1, done: 4 },
    ]
    expect(tasksPerMinute(s)).toEqual([null, 12, 0])
  })
})
