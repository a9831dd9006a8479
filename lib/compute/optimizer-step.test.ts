import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import type { NamedTensor } from '../protocol'
import { optimizerStep, stateFromTensors, stateToTensors, type OptimizerState } from './optimizer-step'

describe('optimizerStep', () => {
  it('matches tf.train.adam over several steps, also through a saved and restored state', async () => {
    await tf.setBackend('cpu')
    const w0 = [0.5, -1, 2, 0.1]
    const grads = [
      [0.1, -0.2, 0.3, 0.05],
      [-0.3, 0.1, 0.2, 0.0],
      [0.2, 0.2, -0.1, 0.4],
    ]
    const v = tf.variable(tf.tensor1d(w0))
    const opt = tf.train.adam(0.05)
    let weights: NamedTensor[] = [{ name: 'w', shape: [4], data: Float32Array.from(w0) }]
    let state: OptimizerState = { step: 0, moments: {} }
    for (const g of grads) {
      opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }])
      const r = optimizerStep(weights, new Map([['w', Float32Array.from(g)]]), state, { optimizer: 'adam', learningRate: 0.05 })
      weights = r.weights
      state = stateFromTensors(stateToTensors(r.state))
    }
    const expected = v.dataSync()
    for (let i = 0; i < 4; i++) expect(weights[0].data[i]).toBeCloseTo(expected[i], 5)
  })

  it('does plain and momentum SGD and leaves weights without gradients alone', () => {
    const w = [
      { name: 'a', shape: [2], data: Float32Array.of(1, 1) },
      { name: 'moving', shape: [1], data: Float32Array.of(7) },
    ]
    const g = new Map([['a', Float32Array.of(1, -1)]])
    const sgd = optimizerStep(w, g, { step: 0, moments: {} }, { optimizer: 'sgd', learningRate: 0.5 })
    expect(Array.from(sgd.weights[0].data)).toEqual([0.5, 1.5])
    expect(sgd.weights[1].data[0]).toBe(7)
    const m1 = optimizerStep(w, g, { step: 0, moments: {} }, { optimizer: 'momentum', learningRate: 0.1, momentum: 0.9 })
    const m2 = optimizerStep(m1.weights, g, m1.state, { optimizer: 'momentum', learningRate: 0.1, momentum: 0.9 })
    expect(m2.weights[0].data[0]).toBeCloseTo(1 - 0.1 - 0.1 * 1.9, 6)
  })
})
