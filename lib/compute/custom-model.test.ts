import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isNimbleError, packTensors, unpackTensors, type ModelSpec } from '../protocol'
import { paramCount, weightShapes } from '../model/shapes'
import { buildModel } from './build-model'
import { checkModelFitsData, inspectTopology } from './custom-model'
import { evaluate, predictOutputs } from './evaluate'
import { exportLayersModel } from './export'
import { clearModelCache } from './model-cache'
import { runTrainTask } from './train'
import { initialWeights } from './weights'
import { BARS_SPEC, SPEC, bars, dataPack, makeTask, packs, useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearModelCache)

const LIMIT = { maxParams: 1_000_000 }

function topologyOf(layers: tf.layers.Layer[]): object {
  const m = tf.sequential({ layers })
  try {
    return m.toJSON(null, false) as object
  } finally {
    m.dispose()
  }
}

function customSpec(topology: object, base: ModelSpec): ModelSpec {
  return { ...base, template: 'custom', hidden: [], filters: [], dropout: 0, topology: topology as Record<string, unknown> }
}

function expectInvalidModel(fn: () => unknown, pattern: RegExp) {
  try {
    fn()
  } catch (e) {
    expect(isNimbleError(e) && e.code).toBe('invalid_model')
    expect((e as Error).message).toMatch(pattern)
    return
  }
  throw new Error('expected an invalid_model error')
}

describe('custom models', () => {
  it('round trip: a built model’s topology → inspectTopology → train → export → tf.loadLayersModel', async () => {
    const built = buildModel(BARS_SPEC, 1)
    const topology = built.toJSON(null, false) as object
    built.dispose()

    const info = inspectTopology(topology, LIMIT)
    expect(info).toMatchObject({ inputShape: [8, 8, 1], outputUnits: 2, params: paramCount(BARS_SPEC), outputActivation: 'softmax' })
    expect(info.weightShapes).toEqual(weightShapes(BARS_SPEC))
    expect(info.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense'])
    expect(info.forwardFlopsPerRow).toBe(2 * 9 * 4 * 64 + 2 * (64 * 16 + 16 + 16 * 2 + 2))
    checkModelFitsData(info, { inputSize: 64, inputShape: [8, 8, 1], outputSize: 2, task: 'classification' })

    const spec = customSpec(topology, BARS_SPEC)
    const init = initialWeights(spec, 7)
    expect(initialWeights(spec, 7)).toEqual(init) // seeded initializers: every party builds the same round 0
    expect(initialWeights(spec, 8)[0].data).not.toEqual(init[0].data)

    const { x, y } = bars(96)
    const out = await runTrainTask(makeTask({ localEpochs: 8, learningRate: 0.01 }, 96, spec), packTensors(init), dataPack(x, y, 96))
    const weights = unpackTensors(out.weights)
    const test = bars(40, 3)
    expect(evaluate(spec, weights, test.x, test.y, 40).accuracy).toBeGreaterThan(0.9)

    const { modelJson, weightsBin } = exportLayersModel(spec, weights)
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightsBin }))
    const got = tf.tidy(() => (loaded.predict(tf.tensor4d(test.x, [40, 8, 8, 1])) as tf.Tensor).dataSync())
    const want = predictOutputs(spec, weights, test.x, 40)
    Array.from(got).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5))
    loaded.dispose()
  })

  it('trains models with their own reshape, batch normalization and dropout, updating moving statistics', async () => {
    const topology = topologyOf([
      tf.layers.reshape({ targetShape: [2, 2, 1], inputShape: [4] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 12, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ])
    const info = inspectTopology(topology, LIMIT)
    expect(info.weightShapes.slice(-2).map((w) => w.name.split('/')[1])).toEqual(['moving_mean', 'moving_variance'])
    const spec = customSpec(topology, SPEC)
    const { x, y, dataPack: data } = packs()
    const out = await runTrainTask(makeTask({ localEpochs: 10 }, 120, spec), packTensors(initialWeights(spec, 1)), data)
    const weights = unpackTensors(out.weights)
    expect(Array.from(weights.find((w) => w.name.endsWith('/moving_mean'))!.data).some((v) => v !== 0)).toBe(true)
    expect(evaluate(spec, weights, x, y, 120).accuracy).toBeGreaterThan(0.9)
  })

  it('accepts a Keras-saved Sequential (model_config, InputLayer, GlorotUniform) with reproducible initial weights', () => {
    const glorot = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }
    const keras = {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } },
            { class_name: 'Dense', config: { name: 'hidden', units: 6, activation: 'relu', use_bias: true, kernel_initializer: glorot, kernel_regularizer: null } },
            { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax', kernel_initializer: glorot } },
          ],
        },
      },
    }
    const info = inspectTopology(keras, LIMIT)
    expect(info).toMatchObject({ inputShape: [4], outputUnits: 3, params: 4 * 6 + 6 + 6 * 3 + 3 })
    expect(info.weightShapes.map((w) => w.name)).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias'])
    const spec = customSpec(keras, SPEC)
    expect(initialWeights(spec, 3)).toEqual(initialWeights(spec, 3))
  })

  it('trains an embedding over token ids', async () => {
    const topology = topologyOf([tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })])
    const base = { ...SPEC, inputShape: [3], inputSize: 3, outputSize: 2 }
    const spec = customSpec(topology, base)
    const rows = 80
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => (i * 7 + Math.floor(i / 3)) % 10)
    const y = new Float32Array(rows * 2)
    for (let r = 0; r < rows; r++) y[r * 2 + (x[r * 3] < 5 ? 0 : 1)] = 1 // the class is whether the first token is below 5
    const out = await runTrainTask(makeTask({ localEpochs: 20, learningRate: 0.05 }, rows, spec), packTensors(initialWeights(spec, 1)), dataPack(x, y, rows))
    expect(evaluate(spec, unpackTensors(out.weights), x, y, rows).accuracy).toBeGreaterThan(0.9)
  })

  it('refuses unsupported layers, too many parameters and garbage', () => {
    const lstm = topologyOf([tf.layers.lstm({ units: 4, inputShape: [5, 3], name: 'rnn' }), tf.layers.dense({ units: 2 })])
    expectInvalidModel(() => inspectTopology(lstm, LIMIT), /layer rnn is a LSTM, which Nimble cannot train; supported layers: .*Conv2D.*BatchNormalization/)

    const before = tf.memory().numTensors
    const huge = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 100_000, batch_input_shape: [null, 100_000] } }] } }
    const t0 = performance.now()
    expectInvalidModel(() => inspectTopology(huge, LIMIT), /10000100000 parameters, over the limit of 1000000/)
    expect(performance.now() - t0).toBeLessThan(500) // refused before allocating 40 GB
    expect(tf.memory().numTensors).toBe(before)

    expectInvalidModel(() => inspectTopology(JSON.parse('[1, 2]'), LIMIT), /not a JSON object/)
    expectInvalidModel(() => inspectTopology({ hello: 'world' }, LIMIT), /no class_name/)
    const badActivation = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 2, activation: 'wobbly', batch_input_shape: [null, 3] } }] } }
    expectInvalidModel(() => inspectTopology(badActivation, LIMIT), /tfjs could not build the model: .*wobbly/)
    const image = topologyOf([tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] })])
    expectInvalidModel(() => inspectTopology(image, LIMIT), /must output a vector/)
  })

  it('checks a model against the data', () => {
    const info = { inputShape: [28, 28, 1], outputUnits: 10, outputActivation: 'softmax' }
    checkModelFitsData(info, { inputSize: 784, outputSize: 10, task: 'classification' })
    checkModelFitsData({ ...info, inputShape: [784] }, { inputSize: 784, inputShape: [28, 28, 1], outputSize: 10, task: 'classification' }) // flat rows fit any shape of the same size
    expectInvalidModel(() => checkModelFitsData(info, { inputSize: 13, outputSize: 10, task: 'classification' }), /takes input \[28,28,1\] \(784 values\) but the data has 13 features/)
    expectInvalidModel(() => checkModelFitsData(info, { inputSize: 784, outputSize: 3, task: 'classification' }), /has 10 output units but the data has 3 classes/)
    expectInvalidModel(() => checkModelFitsData({ ...info, outputActivation: 'linear' }, { inputSize: 784, outputSize: 10, task: 'classification' }), /needs softmax/)
    expectInvalidModel(() => checkModelFitsData(info, { inputSize: 784, outputSize: 1, task: 'regression' }), /needs exactly 1 output unit; this model has 10/)
    checkModelFitsData({ ...info, outputUnits: 1, outputActivation: 'linear' }, { inputSize: 784, outputSize: 1, task: 'regression' })
  })

  it('refuses a spec whose data does not fit the topology when building', () => {
    const topology = topologyOf([tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })])
    expectInvalidModel(() => buildModel(customSpec(topology, { ...SPEC, inputShape: [5], inputSize: 5 })), /takes input \[4\] \(4 values\) but the data has 5 features/)
    expectInvalidModel(() => buildModel(customSpec(topology, { ...SPEC, outputSize: 2 })), /3 output units but the data has 2 classes/)
  })
})
