import { expect, test } from 'vitest'
import { shardRanges, takeRows } from './shard'
import { expectNimble } from './test-helpers'

test('shards are contiguous, cover every row and differ in size by at most one', () => {
  for (const [n, k] of [[10, 3], [100, 7], [5, 5], [1, 1], [1000, 64]] as const) {
    const shards = shardRanges(n, k)
    expect(shards).toHaveLength(k)
    expect(shards[0]!.start).toBe(0)
    expect(shards.at(-1)!.end).toBe(n)
    shards.forEach((s, i) => i > 0 && expect(s.start).toBe(shards[i - 1]!.end))
    const sizes = shards.map((s) => s.end - s.start)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    expect(Math.min(...sizes)).toBeGreaterThan(0)
  }
  expect(shardRanges(10, 3)).toEqual([{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }])
})

test('k is clamped to n so no shard is empty', () => {
  expect(shardRanges(3, 10)).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 3 }])
  expect(shardRanges(0, 4)).toEqual([])
  expectNimble(() => shardRanges(10, 0), 'bad_request', 'k')
  expectNimble(() => shardRanges(2.5, 1), 'bad_request', 'n')
})

test('takeRows gathers rows in the given order', () => {
  const x = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31])
  expect(Array.from(takeRows(x, 2, [3, 0, 3]))).toEqual([30, 31, 0, 1, 30, 31])
  expect(takeRows(x, 2, new Uint32Array(0))).toHaveLength(0)
  expectNimble(() => takeRows(x, 2, [4]), 'bad_request', 'indices')
  expectNimble(() => takeRows(x, 3, [0]), 'bad_request', 'width')
})
