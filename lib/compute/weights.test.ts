import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { layerPlan, weightShapes } from '../model/shapes'
import type { ModelSpec } from '../protocol'
import { buildModel } from './build-model'
import { initialWeights, readWeights, writeWeights } from './weights'
import { BARS_SPEC, LINE_SPEC, SPEC, spec, useCpu } from './test-fixtures'

beforeAll(useCpu)

describe('buildModel and weights', () => {
  const specs: ModelSpec[] = [
    SPEC,
    spec({ template: 'logistic', inputShape: [7], inputSize: 7, outputSize: 2 }),
    spec({ template: 'mlp', inputShape: [3], inputSize: 3, outputSize: 5, hidden: [6, 4, 2], activation: 'tanh', dropout: 0.3 }),
    spec({ template: 'mlp', task: 'regression', outputSize: 1, hidden: [5] }),
    LINE_SPEC,
    BARS_SPEC,
    { ...BARS_SPEC, filters: [3, 5], dropout: 0.5, hidden: [], outputSize: 4 },
  ]

  it('names and orders weights exactly as lib/model/shapes predicts', () => {
    for (const s of specs) {
      // Build twice so tfjs's uniquified names (dense_0/kernel_1) would show if we read the wrong field.
      buildModel(s).dispose()
      const model = buildModel(s)
      expect(readWeights(model).map((w) => ({ name: w.name, shape: w.shape }))).toEqual(weightShapes(s))
      expect(model.layers.map((l) => l.name)).toEqual(layerPlan(s).map((l) => l.name))
      model.dispose()
    }
  })

  it('initial weights are deterministic per seed, differ across seeds and layers', () => {
    const a = initialWeights(SPEC, 4)
    const b = initialWeights(SPEC, 4)
    const c = initialWeights(SPEC, 5)
    expect(a).toEqual(b)
    expect(a[0].data).not.toEqual(c[0].data)
    expect(Array.from(a[1].data).every((v) => v === 0)).toBe(true) // biases start at zero
    expect(a[0].data.slice(0, 3)).not.toEqual(a[2].data.slice(0, 3))
  })

  it('writes weights by name and reads them back', () => {
    const model = buildModel(SPEC)
    const w = initialWeights(SPEC, 9)
    writeWeights(model, [...w].reverse())
    expect(readWeights(model)).toEqual(w)
    model.dispose()
  })

  it('refuses missing, extra, misnamed and misshapen weights with a clear error', () => {
    const model = buildModel(SPEC)
    const w = initialWeights(SPEC, 1)
    const before = tf.memory().numTensors
    expect(() => writeWeights(model, w.slice(1))).toThrow(/expected 4 weight tensors/)
    expect(() => writeWeights(model, [...w.slice(1), { ...w[0], name: 'dense_9/kernel' }])).toThrow(/dense_0\/kernel is missing/)
    expect(() => writeWeights(model, [{ ...w[0], shape: [8, 4] }, ...w.slice(1)])).toThrow(/shape \[8,4\], expected \[4,8\]/)
    expect(() => writeWeights(model, [{ ...w[0], data: new Float32Array(3) }, ...w.slice(1)])).toThrow(/holds 3 values/)
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})
