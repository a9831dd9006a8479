import { describe, expect, it } from 'vitest'
import { isNimbleError, type ModelSpec } from '../protocol'
import { estimateFromParams, estimateLayers, estimateSpecLayers } from './estimate'
import { modelCost } from './shapes'
import { topologyCost } from './topology'

const seq = (layers: object[]) => ({ class_name: 'Sequential', config: { name: 'm', layers } })

function expectError(fn: () => unknown, code: string, pattern: RegExp) {
  try {
    fn()
  } catch (e) {
    expect(isNimbleError(e) && e.code).toBe(code)
    expect((e as Error).message).toMatch(pattern)
    return
  }
  throw new Error(`expected a ${code} error`)
}

const cnnTopology = seq([
  { class_name: 'InputLayer', config: { batch_input_shape: [null, 9, 9, 2] } },
  { class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], padding: 'valid' } },
  { class_name: 'BatchNormalization', config: { axis: -1 } },
  { class_name: 'AveragePooling2D', config: { pool_size: [2, 2] } },
  { class_name: 'Conv2D', config: { filters: 3, kernel_size: 2, padding: 'same', use_bias: false } },
  { class_name: 'MaxPooling2D', config: { pool_size: 3 } },
  { class_name: 'GlobalAveragePooling2D', config: {} },
  { class_name: 'Reshape', config: { target_shape: [3, 1] } },
  { class_name: 'Dense', config: { units: 5, activation: 'relu' } },
  { class_name: 'Flatten', config: {} },
  { class_name: 'Dropout', config: { rate: 0.2 } },
  { class_name: 'Activation', config: { activation: 'softmax' } },
])

describe('estimateLayers', () => {
  it('gives every layer its shapes, parameters, bytes and FLOPs per example', () => {
    const e = estimateLayers(cnnTopology)
    expect(e.map((l) => l.className)).toEqual(['InputLayer', 'Conv2D', 'BatchNormalization', 'AveragePooling2D', 'Conv2D', 'MaxPooling2D', 'GlobalAveragePooling2D', 'Reshape', 'Dense', 'Flatten', 'Dropout', 'Activation'])
    expect(e.map((l) => l.outputShape)).toEqual([[9, 9, 2], [7, 7, 4], [7, 7, 4], [3, 3, 4], [3, 3, 3], [1, 1, 3], [3], [3, 1], [3, 5], [15], [15], [15]])
    expect(e[1]).toMatchObject({ index: 1, params: 3 * 3 * 2 * 4 + 4, weightBytes: 4 * 76, inputShape: [9, 9, 2], inputBytes: 4 * 162, activationBytes: 4 * 196, flops: 2 * 9 * 2 * 4 * 49 })
    expect(e[4]).toMatchObject({ params: 2 * 2 * 4 * 3, flops: 2 * 2 * 2 * 4 * 3 * 9 }) // no bias
    expect(e[8]).toMatchObject({ params: 5 + 5, flops: 2 * 10 * 3 }) // Dense on [3, 1]: once per position
    expect(e[0].activationBytes).toBe(0) // the input layer writes nothing new
    // Each layer's input is the previous layer's output.
    for (let i = 1; i < e.length; i++) expect(e[i].inputShape).toEqual(e[i - 1].outputShape)
  })

  it('adds up to topologyCost (parameters, FLOPs and activations)', () => {
    for (const t of [
      cnnTopology,
      seq([{ class_name: 'Embedding', config: { input_dim: 100, output_dim: 8, batch_input_shape: [null, 6] } }, { class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 2 } }]),
    ]) {
      const e = estimateLayers(t)
      const c = topologyCost(t)
      expect(e.reduce((n, l) => n + l.params, 0)).toBe(c.params)
      expect(e.reduce((n, l) => n + l.flops, 0)).toBe(c.forwardFlopsPerRow)
      expect(e[0].inputBytes + e.reduce((n, l) => n + l.activationBytes, 0)).toBe(4 * c.activationsPerRow)
    }
  })

  it('refuses an unsupported layer, naming it and listing what is supported', () => {
    expectError(() => estimateLayers(seq([{ class_name: 'LSTM', config: { name: 'rnn', units: 4, batch_input_shape: [null, 5, 3] } }])), 'invalid_model', /layer rnn is a LSTM, which Nimble cannot train; supported layers: InputLayer, Dense, .*Embedding/)
    expectError(() => estimateLayers('nope'), 'invalid_model', /not a JSON object/)
  })
})

describe('estimateSpecLayers', () => {
  const base: ModelSpec = { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [8, 5], activation: 'relu', dropout: 0.1, filters: [] }
  const cnn: ModelSpec = { ...base, template: 'cnn', inputShape: [8, 8, 1], inputSize: 64, outputSize: 2, hidden: [16], filters: [4, 6] }

  it('names layers as build-model.ts does and agrees with modelCost', () => {
    expect(estimateSpecLayers(base).map((l) => l.name)).toEqual(['dense_0', 'dropout_0', 'dense_1', 'dropout_1', 'dense_2'])
    expect(estimateSpecLayers(cnn).map((l) => l.name)).toEqual(['conv_0', 'pool_0', 'conv_1', 'pool_1', 'flatten', 'dense_0', 'dropout_0', 'dense_1'])
    for (const spec of [base, cnn, { ...base, template: 'logistic' as const }]) {
      const e = estimateSpecLayers(spec)
      expect(e.reduce((n, l) => n + l.params, 0)).toBe(modelCost(spec).params)
      expect(e.reduce((n, l) => n + l.flops, 0)).toBe(modelCost(spec).forwardFlopsPerRow)
    }
    expect(estimateSpecLayers(cnn)[1].outputShape).toEqual([4, 4, 4])
  })

  it('estimates a custom spec from its topology and refuses one without', () => {
    const topology = seq([{ class_name: 'Dense', config: { units: 2, batch_input_shape: [null, 4] } }])
    expect(estimateSpecLayers({ ...base, template: 'custom', topology }).map((l) => l.params)).toEqual([10])
    expectError(() => estimateSpecLayers({ ...base, template: 'custom' }), 'invalid_model', /needs its topology/)
  })
})

describe('estimateFromParams', () => {
  it('splits the parameters into equal blocks of Dense layers over the residual stream', () => {
    const e = estimateFromParams({ params: 100e9, layers: 100, hiddenSize: 8192, sequenceLength: 2 })
    expect(e).toHaveLength(100)
    expect(e[7]).toEqual({ index: 7, name: 'block_7', className: 'Dense', params: 1e9, weightBytes: 4e9, inputShape: [2, 8192], outputShape: [2, 8192], inputBytes: 4 * 8192 * 2, activationBytes: 4 * 8192 * 2, flops: 2 * 1e9 * 2 })
  })

  it('spreads a remainder, derives the hidden size from 12·h² and refuses nonsense', () => {
    const e = estimateFromParams({ params: 10, layers: 3 })
    expect(e.map((l) => l.params)).toEqual([4, 3, 3])
    expect(estimateFromParams({ params: 100e9, layers: 100 })[0].outputShape).toEqual([1, Math.round(Math.sqrt(1e9 / 12))])
    expectError(() => estimateFromParams({ params: 0, layers: 1 }), 'bad_request', /params must be a positive number/)
    expectError(() => estimateFromParams({ params: 10, layers: 2.5 }), 'bad_request', /layers must be a positive integer/)
    expectError(() => estimateFromParams({ params: 10, layers: 20 }), 'bad_request', /20 layers cannot share 10 parameters/)
    expectError(() => estimateFromParams({ params: 10, layers: 2, hiddenSize: 0 }), 'bad_request', /hiddenSize/)
  })
})
