import { describe, expect, it } from 'vitest'
import { isNimbleError } from '../protocol'
import { normalizeTopology, topologyCost } from './topology'

const seq = (layers: object[], extra: object = {}) => ({ class_name: 'Sequential', config: { name: 'm', layers }, ...extra })
const dense = (units: number, config: object = {}) => ({ class_name: 'Dense', config: { units, activation: 'relu', ...config } })

function invalidModel(fn: () => unknown, pattern: RegExp) {
  try {
    fn()
  } catch (e) {
    expect(isNimbleError(e) && e.code).toBe('invalid_model')
    expect((e as Error).message).toMatch(pattern)
    return
  }
  throw new Error('expected an invalid_model error')
}

describe('normalizeTopology', () => {
  it('unwraps model.json and Keras model_config forms, names unnamed layers and pins the batch dimension to null', () => {
    const inner = seq([{ class_name: 'InputLayer', config: { batch_input_shape: [32, 3] } }, dense(2, { name: 'out' }), { class_name: 'Dropout', config: { rate: 0.1 } }])
    for (const t of [inner, { modelTopology: inner }, { keras_version: '2.15', model_config: inner }]) {
      const { topology, layers } = normalizeTopology(t)
      expect(layers.map((l) => l.name)).toEqual(['input_layer_0', 'out', 'dropout_2'])
      expect(topology.config.layers[0].config.batch_input_shape).toEqual([null, 3])
    }
    expect(normalizeTopology(seq([dense(2, { input_shape: [7] })])).layers[0].config.batch_input_shape).toEqual([null, 7])
  })

  it('does not modify its input', () => {
    const t = seq([dense(2, { batch_input_shape: [4, 3] })])
    const before = JSON.stringify(t)
    normalizeTopology(t)
    expect(JSON.stringify(t)).toBe(before)
  })

  it('refuses unsupported layers naming the layer and listing what is supported', () => {
    invalidModel(() => normalizeTopology(seq([{ class_name: 'LSTM', config: { name: 'rnn', units: 4, batch_input_shape: [null, 5, 3] } }])), /layer rnn is a LSTM, which Nimble cannot train; supported layers: InputLayer, Dense, .*Embedding/)
  })

  it('refuses garbage, functional models, missing input shapes and duplicate names', () => {
    invalidModel(() => normalizeTopology('nope'), /not a JSON object/)
    invalidModel(() => normalizeTopology({ foo: 1 }), /no class_name/)
    invalidModel(() => normalizeTopology({ class_name: 'Functional', config: {} }), /only Sequential models are supported/)
    invalidModel(() => normalizeTopology(seq([])), /no layers/)
    invalidModel(() => normalizeTopology(seq([dense(2)])), /does not declare the input shape/)
    invalidModel(() => normalizeTopology(seq([dense(2, { batch_input_shape: [null, null] })])), /fixed positive sizes/)
    invalidModel(() => normalizeTopology(seq([dense(2, { name: 'a', batch_input_shape: [null, 2] }), dense(2, { name: 'a' })])), /two layers are named a/)
    invalidModel(() => normalizeTopology(seq([{ class_name: 'Conv2D', config: { filters: 1, kernel_size: 3, data_format: 'channels_first', batch_input_shape: [null, 1, 8, 8] } }])), /channels_last/)
  })
})

describe('topologyCost', () => {
  it('follows shapes through conv, pooling, batch norm, flatten and dense layers', () => {
    const c = topologyCost(
      seq([
        { class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], strides: 1, padding: 'valid', batch_input_shape: [null, 9, 9, 2] } },
        { class_name: 'BatchNormalization', config: { axis: -1 } },
        { class_name: 'MaxPooling2D', config: { pool_size: [2, 2], strides: null, padding: 'valid' } },
        { class_name: 'Flatten', config: {} },
        dense(3, { activation: 'softmax' }),
      ]),
    )
    // 9x9x2 -conv valid-> 7x7x4 -pool-> 3x3x4 = 36 -> 3
    expect(c.layers.map((l) => l.outputShape)).toEqual([[7, 7, 4], [7, 7, 4], [3, 3, 4], [36], [3]])
    expect(c.params).toBe(9 * 2 * 4 + 4 + 4 * 4 + 36 * 3 + 3)
    expect(c.forwardFlopsPerRow).toBe(2 * 9 * 2 * 4 * 7 * 7 + 2 * (36 * 3 + 3))
    expect(c.activationsPerRow).toBe(162 + 196 + 196 + 36 + 36 + 3)
    expect(c.inputShape).toEqual([9, 9, 2])
    expect(c.outputActivation).toBe('softmax')
  })

  it('handles same padding with strides, global pooling, reshape with -1, embeddings and bias-free layers', () => {
    const c = topologyCost(
      seq([
        { class_name: 'Reshape', config: { target_shape: [5, 5, -1], batch_input_shape: [null, 50] } },
        { class_name: 'Conv2D', config: { filters: 3, kernel_size: 3, strides: [2, 2], padding: 'same', use_bias: false } },
        { class_name: 'GlobalAveragePooling2D', config: {} },
        dense(2, { activation: 'linear' }),
        { class_name: 'Dropout', config: { rate: 0.5 } },
      ]),
    )
    expect(c.layers.map((l) => l.outputShape)).toEqual([[5, 5, 2], [3, 3, 3], [3], [2], [2]])
    expect(c.params).toBe(9 * 2 * 3 + 3 * 2 + 2)
    expect(c.outputActivation).toBe('linear')
    const e = topologyCost(seq([{ class_name: 'Embedding', config: { input_dim: 100, output_dim: 8, batch_input_shape: [null, 6] } }, { class_name: 'Flatten', config: {} }, dense(2)]))
    expect(e.params).toBe(800 + 48 * 2 + 2)
    expect(e.layers[0].outputShape).toEqual([6, 8])
  })

  it('refuses shapes that do not work', () => {
    invalidModel(() => topologyCost(seq([{ class_name: 'Conv2D', config: { filters: 1, kernel_size: 3, batch_input_shape: [null, 9] } }])), /needs an image input/)
    invalidModel(() => topologyCost(seq([{ class_name: 'Conv2D', config: { filters: 1, kernel_size: 5, batch_input_shape: [null, 3, 3, 1] } }])), /too small/)
    invalidModel(() => topologyCost(seq([{ class_name: 'Reshape', config: { target_shape: [3, 3], batch_input_shape: [null, 10] } }])), /cannot reshape/)
    invalidModel(() => topologyCost(seq([dense(0, { batch_input_shape: [null, 3] })])), /units must be a positive integer/)
    invalidModel(() => topologyCost(seq([dense(2, { batch_input_shape: [null, 3] }), { class_name: 'BatchNormalization', config: { scale: false } }])), /needs center and scale/)
  })
})
