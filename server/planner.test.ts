import { describe, expect, it } from 'vitest'
import { proportionalSizes } from './planner'

describe('proportionalSizes', () => {
  it('splits rows in proportion to speed, summing to the rows', () => {
    expect(proportionalSizes(600, [4, 1, 1])).toEqual([400, 100, 100])
    const s = proportionalSizes(1001, [3, 2, 2, 0.5])
    expect(s.reduce((a, b) => a + b, 0)).toBe(1001)
    expect(s[0]).toBeGreaterThan(s[1])
  })

  it('gives every shard its minimum when there are rows enough', () => {
    const s = proportionalSizes(100, [1000, 1, 1], 8)
    expect(s.every((n) => n >= 8)).toBe(true)
    expect(s.reduce((a, b) => a + b, 0)).toBe(100)
  })
})
