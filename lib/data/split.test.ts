import { describe, expect, test } from 'vitest'
import { splitRows } from './split'
import { expectNimble } from './test-helpers'

function countIn(rows: Uint32Array, labels: Int32Array, k: number): number {
  return Array.from(rows).filter((r) => labels[r] === k).length
}

function expectPartition(n: number, s: { train: Uint32Array; validation: Uint32Array; test: Uint32Array }) {
  const all = [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b)
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i))
}

describe('splitRows without labels', () => {
  test('sizes follow the shares and the sets partition the rows', () => {
    const s = splitRows(1000, { validation: 0.1, test: 0.2, seed: 1 })
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([700, 100, 200])
    expectPartition(1000, s)
  })

  test('deterministic for a seed, different for another', () => {
    const a = splitRows(500, { validation: 0.2, test: 0.1, seed: 9 })
    const b = splitRows(500, { validation: 0.2, test: 0.1, seed: 9 })
    const c = splitRows(500, { validation: 0.2, test: 0.1, seed: 10 })
    expect(b).toEqual(a)
    expect(Array.from(c.test)).not.toEqual(Array.from(a.test))
  })

  test('tiny inputs keep a training row', () => {
    expect(splitRows(1, { validation: 0.4, test: 0.4, seed: 1 }).train).toHaveLength(1)
    const two = splitRows(2, { validation: 0.45, test: 0.45, seed: 1 })
    expect(two.train.length).toBeGreaterThanOrEqual(1)
    expectPartition(2, two)
    expectPartition(0, splitRows(0, { validation: 0.1, test: 0.1, seed: 1 }))
  })

  test('bad shares are refused', () => {
    expectNimble(() => splitRows(10, { validation: 0.6, test: 0.4, seed: 1 }), 'bad_request', 'validation')
    expectNimble(() => splitRows(10, { validation: -0.1, test: 0, seed: 1 }), 'bad_request', 'validation')
    expectNimble(() => splitRows(10, { validation: 0, test: Number.NaN, seed: 1 }), 'bad_request', 'test')
    expectNimble(() => splitRows(10, { validation: 0, test: 0, seed: 1, labels: new Int32Array(9) }), 'bad_request', 'labels')
  })
})

describe('splitRows stratified', () => {
  // Sorted by class like Iris, and unbalanced: 600 / 300 / 90 / 7 / 3.
  const sizes = [600, 300, 90, 7, 3]
  const labels = Int32Array.from(sizes.flatMap((size, k) => new Array<number>(size).fill(k)))
  const n = labels.length
  const s = splitRows(n, { validation: 0.1, test: 0.2, seed: 3, labels })
  const count = (rows: Uint32Array, k: number) => countIn(rows, labels, k)

  test('each class is split in proportion', () => {
    expectPartition(n, s)
    sizes.forEach((size, k) => {
      expect(count(s.test, k)).toBe(Math.round(size * 0.2))
      expect(count(s.validation, k)).toBe(Math.round(size * 0.1))
    })
  })

  test('every class keeps at least one training row', () => {
    const tiny = Int32Array.from([0, 0, 0, 0, 1, 2, 2])
    const t = splitRows(7, { validation: 0.3, test: 0.4, seed: 1, labels: tiny })
    for (const k of [0, 1, 2]) expect(countIn(t.train, tiny, k)).toBeGreaterThanOrEqual(1)
    expectPartition(7, t)
  })

  test('sets come out mixed, not grouped by class', () => {
    const firstHundred = Array.from(s.train.subarray(0, 100), (r) => labels[r])
    expect(new Set(firstHundred).size).toBeGreaterThan(1)
  })

  test('the same labels and seed give the same split', () => {
    expect(splitRows(n, { validation: 0.1, test: 0.2, seed: 3, labels })).toEqual(s)
  })
})
