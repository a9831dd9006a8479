import { describe, expect, it } from 'vitest'
import { isNimbleError, type NamedTensor } from '../protocol'
import { weightedAverage } from './average'
import { mulberry32 } from './prng'

function t(name: string, shape: number[], values: number[]): NamedTensor {
  return { name, shape, data: Float32Array.from(values) }
}

function randomTensors(rand: () => number): NamedTensor[] {
  const rows = 1 + Math.floor(rand() * 5)
  const cols = 1 + Math.floor(rand() * 5)
  const k = Array.from({ length: rows * cols }, () => (rand() - 0.5) * 10)
  const b = Array.from({ length: cols }, () => (rand() - 0.5) * 10)
  return [t('dense_0/kernel', [rows, cols], k), t('dense_0/bias', [cols], b)]
}

function expectError(fn: () => unknown, pattern: RegExp) {
  try {
    fn()
  } catch (e) {
    expect(isNimbleError(e)).toBe(true)
    expect((e as Error).message).toMatch(pattern)
    return
  }
  throw new Error('expected an error')
}

describe('weightedAverage', () => {
  it('weights by examples', () => {
    const out = weightedAverage([
      { tensors: [t('w', [2], [0, 10])], weight: 1 },
      { tensors: [t('w', [2], [4, 20])], weight: 3 },
    ])
    expect(out).toHaveLength(1)
    expect(out[0].name).toBe('w')
    expect(out[0].shape).toEqual([2])
    expect(Array.from(out[0].data)).toEqual([3, 17.5])
  })

  it('averages equal inputs to themselves, whatever the weights (property)', () => {
    const rand = mulberry32(42)
    for (let trial = 0; trial < 50; trial++) {
      const tensors = randomTensors(rand)
      const n = 1 + Math.floor(rand() * 6)
      const items = Array.from({ length: n }, () => ({ tensors, weight: 0.5 + rand() * 1000 }))
      const out = weightedAverage(items)
      out.forEach((o, k) => {
        expect(o.name).toBe(tensors[k].name)
        expect(o.shape).toEqual(tensors[k].shape)
        o.data.forEach((v, j) => expect(v).toBeCloseTo(tensors[k].data[j], 5))
      })
    }
  })

  it('depends only on the ratio of weights (property)', () => {
    const rand = mulberry32(7)
    for (let trial = 0; trial < 30; trial++) {
      const a = randomTensors(rand)
      const b = a.map((x) => ({ ...x, data: x.data.map(() => (rand() - 0.5) * 10) }))
      const wa = 1 + rand() * 50
      const wb = 1 + rand() * 50
      const scale = 1 + rand() * 1e4
      const one = weightedAverage([{ tensors: a, weight: wa }, { tensors: b, weight: wb }])
      const two = weightedAverage([{ tensors: a, weight: wa * scale }, { tensors: b, weight: wb * scale }])
      one.forEach((o, k) => o.data.forEach((v, j) => expect(two[k].data[j]).toBeCloseTo(v, 5)))
      // and each value lies between the two inputs
      one.forEach((o, k) =>
        o.data.forEach((v, j) => {
          const lo = Math.min(a[k].data[j], b[k].data[j])
          const hi = Math.max(a[k].data[j], b[k].data[j])
          expect(v).toBeGreaterThanOrEqual(lo - 1e-5)
          expect(v).toBeLessThanOrEqual(hi + 1e-5)
        }),
      )
    }
  })

  it('matches tensors by name, keeping the first result order', () => {
    const out = weightedAverage([
      { tensors: [t('a', [1], [1]), t('b', [1], [10])], weight: 1 },
      { tensors: [t('b', [1], [30]), t('a', [1], [3])], weight: 1 },
    ])
    expect(out.map((o) => [o.name, o.data[0]])).toEqual([
      ['a', 2],
      ['b', 20],
    ])
  })

  it('ignores a zero-weight result but still validates it', () => {
    const out = weightedAverage([
      { tensors: [t('w', [1], [5])], weight: 2 },
      { tensors: [t('w', [1], [1e9])], weight: 0 },
    ])
    expect(out[0].data[0]).toBe(5)
    expectError(() => weightedAverage([{ tensors: [t('w', [1], [5])], weight: 2 }, { tensors: [t('w', [2], [1, 2])], weight: 0 }]), /shape/)
  })

  it('accumulates in float64', () => {
    // 1e4 contributions of 1e-4 above a large base would drift in float32 accumulation.
    const items = Array.from({ length: 10_000 }, (_, i) => ({ tensors: [t('w', [1], [i % 2 === 0 ? 1 : 1.0001])], weight: 1 }))
    expect(weightedAverage(items)[0].data[0]).toBeCloseTo(1.00005, 6)
  })

  it('does not alias its inputs', () => {
    const input = [t('w', [2], [1, 2])]
    const out = weightedAverage([{ tensors: input, weight: 1 }])
    out[0].data[0] = 99
    out[0].shape[0] = 7
    expect(input[0].data[0]).toBe(1)
    expect(input[0].shape).toEqual([2])
  })

  it('refuses empty input and bad weights', () => {
    expectError(() => weightedAverage([]), /nothing to average/)
    expectError(() => weightedAverage([{ tensors: [t('w', [1], [1])], weight: -1 }]), /non-negative/)
    expectError(() => weightedAverage([{ tensors: [t('w', [1], [1])], weight: Number.NaN }]), /finite/)
    expectError(() => weightedAverage([{ tensors: [t('w', [1], [1])], weight: 0 }]), /sum to zero/)
  })

  it('refuses mismatched names, counts, shapes and sizes', () => {
    const base = { tensors: [t('a', [2], [1, 2])], weight: 1 }
    expectError(() => weightedAverage([base, { tensors: [t('b', [2], [1, 2])], weight: 1 }]), /no tensor a/)
    expectError(() => weightedAverage([base, { tensors: [t('a', [2], [1, 2]), t('b', [1], [1])], weight: 1 }]), /holds 2 tensors/)
    expectError(() => weightedAverage([base, { tensors: [t('a', [1, 2], [1, 2])], weight: 1 }]), /shape \[1,2\]/)
    expectError(() => weightedAverage([base, { tensors: [t('a', [2], [1])], weight: 1 }]), /holds 1 values/)
    expectError(() => weightedAverage([{ tensors: [t('a', [1], [1]), t('a', [1], [2])], weight: 1 }]), /duplicate/)
  })
})
