import { expect, test } from 'vitest'
import { createRng, shuffleIndices } from './rng'
import { expectNimble } from './test-helpers'

test('the same seed gives the same stream, another seed another one', () => {
  const a = createRng(42)
  const b = createRng(42)
  const c = createRng(43)
  const sa = Array.from({ length: 100 }, a)
  expect(Array.from({ length: 100 }, b)).toEqual(sa)
  expect(Array.from({ length: 100 }, c)).not.toEqual(sa)
})

test('values lie in [0, 1) and spread evenly', () => {
  const rng = createRng(-7)
  const buckets = new Array(10).fill(0)
  for (let i = 0; i < 100_000; i++) {
    const v = rng()
    expect(v >= 0 && v < 1).toBe(true)
    buckets[Math.floor(v * 10)]++
  }
  for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500)
})

test('shuffleIndices is a deterministic permutation', () => {
  const p = shuffleIndices(1000, 5)
  expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  expect(Array.from(shuffleIndices(1000, 5))).toEqual(Array.from(p))
  expect(Array.from(shuffleIndices(1000, 6))).not.toEqual(Array.from(p))
  expect(Array.from(p.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  expect(shuffleIndices(0, 1)).toHaveLength(0)
})

test('every position is equally likely for an element', () => {
  // Fisher–Yates done wrong (j over the whole range) fails this.
  const counts = [0, 0, 0]
  for (let seed = 0; seed < 30_000; seed++) counts[shuffleIndices(3, seed).indexOf(0)]++
  for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
})

test('bad seeds and counts are refused', () => {
  expectNimble(() => createRng(Number.NaN), 'bad_request', 'seed')
  expectNimble(() => shuffleIndices(-1, 1), 'bad_request', 'n')
})
