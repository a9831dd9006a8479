import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NamedTensor } from '../protocol'
import { evaluate, predictProba } from './evaluate'
import { clearModelCache } from './model-cache'
import { initialWeights } from './weights'
import { SPEC, separable, useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearModelCache)

describe('evaluate and predictProba', () => {
  let weights: NamedTensor[] = []
  beforeAll(() => {
    weights = initialWeights(SPEC, 2)
  })

  it('returns one probability row per input row, each summing to 1', () => {
    const { x } = separable(10)
    const p = predictProba(SPEC, weights, x, 10)
    expect(p).toHaveLength(30)
    for (let i = 0; i < 10; i++) expect(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2]).toBeCloseTo(1, 5)
    expect(predictProba(SPEC, weights, new Float32Array(0), 0)).toHaveLength(0)
  })

  it('matches a direct model prediction and the mean cross-entropy', () => {
    const { x, y } = separable(9)
    const p = predictProba(SPEC, weights, x, 9)
    let ce = 0
    let hits = 0
    for (let i = 0; i < 9; i++) {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3))
      const label = Array.from(y.subarray(i * 3, i * 3 + 3)).indexOf(1)
      ce -= Math.log(row[label])
      if (row.indexOf(Math.max(...row)) === label) hits++
    }
    const e = evaluate(SPEC, weights, x, y, 9)
    expect(e.loss).toBeCloseTo(ce / 9, 4)
    expect(e.accuracy).toBeCloseTo(hits / 9, 10)
  })

  it('batches large inputs with the same answer as small ones', () => {
    const wide = { ...SPEC, inputSize: 300_000 / 1000, hidden: [4] }
    const w = initialWeights(wide, 1)
    const rows = 5000 // 5000 x 300 values: several batches of 1 Mi values
    const x = new Float32Array(rows * 300).map((_, i) => Math.sin(i))
    const all = predictProba(wide, w, x, rows)
    const last = predictProba(wide, w, x.subarray((rows - 1) * 300), 1)
    expect(Array.from(all.subarray((rows - 1) * 3))).toEqual(Array.from(last))
  })

  it('reuses cached models without leaking tensors', () => {
    const { x, y } = separable(12)
    evaluate(SPEC, weights, x, y, 12)
    const before = tf.memory().numTensors
    for (let i = 0; i < 5; i++) evaluate(SPEC, initialWeights(SPEC, i), x, y, 12)
    predictProba(SPEC, weights, x, 12)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses inputs of the wrong size', () => {
    expect(() => predictProba(SPEC, weights, new Float32Array(7), 2)).toThrow(/2 rows of 4 need 8/)
    expect(() => evaluate(SPEC, weights, new Float32Array(8), new Float32Array(5), 2)).toThrow(/y holds 5 values/)
    expect(() => evaluate(SPEC, weights, new Float32Array(0), new Float32Array(0), 0)).toThrow(/zero rows/)
  })
})
