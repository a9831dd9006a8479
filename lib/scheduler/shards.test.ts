import { describe, expect, it } from 'vitest'
import { mulberry32 } from './random'
import { shardSizes, straggler } from './shards'

describe('shardSizes', () => {
  it('splits rows in proportion to speed and sums to rows, on random fleets', () => {
    const rng = mulberry32(11)
    for (let i = 0; i < 300; i++) {
      const devices = Array.from({ length: 1 + Math.floor(rng() * 12) }, (_, k) => ({ id: `d${k}`, gflops: 1 + rng() * 1000 }))
      const rows = Math.floor(rng() * 5000)
      const minRows = 1 + Math.floor(rng() * 20)
      const out = shardSizes(rows, devices, minRows)
      expect(out.reduce((s, d) => s + d.rows, 0)).toBe(rows)
      const kept = devices.filter((d) => out.some((o) => o.id === d.id))
      const total = kept.reduce((s, d) => s + d.gflops, 0)
      for (const o of out) {
        const g = devices.find((d) => d.id === o.id)!.gflops
        // Largest remainder: within one row of the exact share; and never under minRows unless rows are short.
        expect(Math.abs(o.rows - (rows * g) / total)).toBeLessThan(1)
        if (rows >= minRows) expect(o.rows).toBeGreaterThanOrEqual(minRows)
      }
      // Only the slowest are dropped.
      const slowestKept = Math.min(...kept.map((d) => d.gflops))
      for (const d of devices) if (!kept.includes(d)) expect(d.gflops).toBeLessThanOrEqual(slowestKept)
    }
  })

  it('gives a device twice as fast twice the rows, and drops a device too slow for minRows', () => {
    expect(shardSizes(300, [{ id: 'a', gflops: 10 }, { id: 'b', gflops: 20 }])).toEqual([{ id: 'a', rows: 100 }, { id: 'b', rows: 200 }])
    expect(shardSizes(100, [{ id: 'slow', gflops: 1 }, { id: 'fast', gflops: 99 }], 5)).toEqual([{ id: 'fast', rows: 100 }])
    expect(shardSizes(3, [{ id: 'a', gflops: 1 }, { id: 'b', gflops: 1 }, { id: 'c', gflops: 1 }, { id: 'd', gflops: 1 }])).toEqual([{ id: 'a', rows: 1 }, { id: 'b', rows: 1 }, { id: 'c', rows: 1 }])
    expect(shardSizes(4, [{ id: 'a', gflops: 0 }, { id: 'b', gflops: 0 }])).toEqual([{ id: 'a', rows: 2 }, { id: 'b', rows: 2 }])
    expect(shardSizes(0, [{ id: 'a', gflops: 1 }])).toEqual([])
    expect(() => shardSizes(1.5, [])).toThrow(/whole number/)
  })
})

describe('straggler', () => {
  it('flags a task past factor x expected and past the minimum, and nothing else', () => {
    expect(straggler(1000, 0, 2001)).toBe(true)
    expect(straggler(1000, 0, 2000)).toBe(false)
    expect(straggler(10, 0, 1999)).toBe(false) // too short to judge
    expect(straggler(10, 0, 2001)).toBe(true)
    expect(straggler(5000, 100, 10_000, 2)).toBe(false)
    expect(straggler(5000, 100, 10_101, 2)).toBe(true)
    expect(straggler(5000, 0, 7600, 1.5)).toBe(true)
    expect(straggler(Infinity, 0, 1e12)).toBe(false)
  })
})
