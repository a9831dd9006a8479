import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NamedTensor } from '../protocol'
import { evaluate, predictOutputs, predictProba } from './evaluate'
import { clearModelCache } from './model-cache'
import { initialWeights } from './weights'
import { BARS_SPEC, LINE_SPEC, SPEC, bars, line, separable, useCpu } from './test-fixtures'

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
    const wide = { ...SPEC, inputShape: [300], inputSize: 300, hidden: [4] }
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

  it('evaluates regression with the mean squared error and no accuracy', () => {
    const w = [
      { name: 'dense_0/kernel', shape: [1, 1], data: Float32Array.of(2) },
      { name: 'dense_0/bias', shape: [1], data: Float32Array.of(1) },
    ]
    const x = Float32Array.of(0, 1, -1)
    expect(Array.from(predictOutputs(LINE_SPEC, w, x, 3))).toEqual([1, 3, -1])
    const e = evaluate(LINE_SPEC, w, x, Float32Array.of(1, 4, -1), 3)
    expect(e.accuracy).toBeNull()
    expect(e.loss).toBeCloseTo(1 / 3, 6)
  })

  it('reshapes flat rows to images for a cnn, in any batch split', () => {
    const w = initialWeights(BARS_SPEC, 3)
    const { x, y } = bars(6)
    const p = predictOutputs(BARS_SPEC, w, x, 6)
    expect(p).toHaveLength(12)
    expect(Array.from(predictOutputs(BARS_SPEC, w, x.subarray(64 * 5), 1))).toEqual(Array.from(p.subarray(10)))
    const e = evaluate(BARS_SPEC, w, x, y, 6)
    expect(e.accuracy).toBeGreaterThanOrEqual(0)
    expect(e.loss).toBeGreaterThan(0)
  })
})
