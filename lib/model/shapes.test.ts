import { describe, expect, it } from 'vitest'
import type { ModelSpec } from '../protocol'
import { forwardFlops, layerPlan, modelCost, modelInputShape, paramCount, trainFlops, trainMemoryBytes, weightShapes } from './shapes'

const base: ModelSpec = { template: 'mlp', task: 'classification', inputShape: [4], inputSize: 4, outputSize: 3, hidden: [8, 5], activation: 'relu', dropout: 0, filters: [] }
const mlp = base
const logistic: ModelSpec = { ...base, template: 'logistic', inputShape: [10], inputSize: 10, outputSize: 2, hidden: [16] }
const linear: ModelSpec = { ...base, template: 'linear', task: 'regression', inputShape: [3], inputSize: 3, outputSize: 1, hidden: [16] }
const cnn: ModelSpec = { ...base, template: 'cnn', inputShape: [8, 8, 1], inputSize: 64, outputSize: 2, hidden: [16], filters: [4, 6], dropout: 0.25 }

describe('weightShapes', () => {
  it('lists kernel then bias per layer for an MLP', () => {
    expect(weightShapes(mlp)).toEqual([
      { name: 'dense_0/kernel', shape: [4, 8] },
      { name: 'dense_0/bias', shape: [8] },
      { name: 'dense_1/kernel', shape: [8, 5] },
      { name: 'dense_1/bias', shape: [5] },
      { name: 'dense_2/kernel', shape: [5, 3] },
      { name: 'dense_2/bias', shape: [3] },
    ])
  })

  it('ignores hidden sizes for logistic and linear; the task picks the output', () => {
    expect(weightShapes(logistic)).toEqual([
      { name: 'dense_0/kernel', shape: [10, 2] },
      { name: 'dense_0/bias', shape: [2] },
    ])
    expect(layerPlan(logistic)).toEqual([{ kind: 'dense', name: 'dense_0', units: 2, activation: 'softmax' }])
    expect(layerPlan(linear)).toEqual([{ kind: 'dense', name: 'dense_0', units: 1, activation: 'linear' }])
    expect(layerPlan({ ...mlp, task: 'regression', outputSize: 1 }).at(-1)).toEqual({ kind: 'dense', name: 'dense_2', units: 1, activation: 'linear' })
  })

  it('treats an MLP with no hidden layers as logistic', () => {
    expect(weightShapes({ ...mlp, hidden: [] })).toEqual(weightShapes({ ...mlp, template: 'logistic' }))
  })

  it('puts the chosen activation on hidden layers, softmax on the output, and dropout after each hidden layer', () => {
    const plan = layerPlan({ ...mlp, activation: 'tanh', dropout: 0.5 })
    expect(plan.map((l) => l.name)).toEqual(['dense_0', 'dropout_0', 'dense_1', 'dropout_1', 'dense_2'])
    expect(plan.flatMap((l) => (l.kind === 'dense' ? [l.activation] : []))).toEqual(['tanh', 'tanh', 'softmax'])
    expect(weightShapes({ ...mlp, dropout: 0.5 })).toEqual(weightShapes(mlp)) // dropout has no weights
  })

  it('names cnn layers conv_i/pool_i, then flatten, dense_0, dropout_0 and the output dense_1', () => {
    expect(layerPlan(cnn).map((l) => l.name)).toEqual(['conv_0', 'pool_0', 'conv_1', 'pool_1', 'flatten', 'dense_0', 'dropout_0', 'dense_1'])
    // 8x8x1 -conv-> 8x8x4 -pool-> 4x4x4 -conv-> 4x4x6 -pool-> 2x2x6 = 24
    expect(weightShapes(cnn)).toEqual([
      { name: 'conv_0/kernel', shape: [3, 3, 1, 4] },
      { name: 'conv_0/bias', shape: [4] },
      { name: 'conv_1/kernel', shape: [3, 3, 4, 6] },
      { name: 'conv_1/bias', shape: [6] },
      { name: 'dense_0/kernel', shape: [24, 16] },
      { name: 'dense_0/bias', shape: [16] },
      { name: 'dense_1/kernel', shape: [16, 2] },
      { name: 'dense_1/bias', shape: [2] },
    ])
    expect(weightShapes({ ...cnn, hidden: [] })[4]).toEqual({ name: 'dense_0/kernel', shape: [24, 64] })
  })

  it('refuses specs it cannot build, and custom models (tfjs knows their weights)', () => {
    expect(() => weightShapes({ ...cnn, inputShape: [64] })).toThrow(/needs an image inputShape/)
    expect(() => weightShapes({ ...cnn, filters: [4, 4, 4, 4] })).toThrow(/too small for 4 conv blocks/)
    expect(() => weightShapes({ ...cnn, inputSize: 65 })).toThrow(/holds 64 values but inputSize is 65/)
    expect(() => weightShapes({ ...linear, outputSize: 2 })).toThrow(/one output/)
    expect(() => weightShapes({ ...mlp, template: 'custom', topology: {} })).toThrow(/inspectTopology/)
  })
})

describe('modelInputShape', () => {
  it('is flat for dense templates, [h, w, c] for cnn, and the topology input for custom', () => {
    expect(modelInputShape(mlp)).toEqual([4])
    expect(modelInputShape({ ...mlp, inputShape: [2, 2, 1] })).toEqual([4]) // an mlp on images sees flat pixels
    expect(modelInputShape(cnn)).toEqual([8, 8, 1])
    expect(modelInputShape({ ...cnn, inputShape: [8, 8] })).toEqual([8, 8, 1])
    const topology = { class_name: 'Sequential', config: { layers: [{ class_name: 'Reshape', config: { target_shape: [2, 2], batch_input_shape: [null, 4] } }, { class_name: 'Flatten', config: {} }] } }
    expect(modelInputShape({ ...mlp, template: 'custom', topology })).toEqual([4])
    expect(() => modelInputShape({ ...mlp, template: 'custom', inputSize: 5, topology })).toThrow(/takes input \[4\] .* but the data has 5 features/)
  })
})

describe('counts and estimates', () => {
  it('counts parameters', () => {
    expect(paramCount(mlp)).toBe(4 * 8 + 8 + 8 * 5 + 5 + 5 * 3 + 3)
    expect(paramCount(logistic)).toBe(22)
    expect(paramCount(cnn)).toBe(9 * 4 + 4 + 9 * 4 * 6 + 6 + 24 * 16 + 16 + 16 * 2 + 2)
  })

  it('scales FLOPs with rows and epochs: 2 per dense parameter, 2·k·k·cin·cout·H·W per conv', () => {
    expect(forwardFlops(logistic, 100)).toBe(2 * 22 * 100)
    expect(trainFlops(logistic, 100, 3)).toBe(6 * 22 * 100 * 3)
    expect(trainFlops(mlp, 0, 5)).toBe(0)
    const conv = 2 * 9 * 1 * 4 * 8 * 8 + 2 * 9 * 4 * 6 * 4 * 4
    const dense = 2 * (24 * 16 + 16 + 16 * 2 + 2)
    expect(forwardFlops(cnn, 1)).toBe(conv + dense)
    expect(trainFlops(cnn, 10, 2)).toBe(3 * (conv + dense) * 10 * 2)
  })

  it('estimates training memory from parameters and batch activations', () => {
    expect(trainMemoryBytes(logistic, 32)).toBe(4 * (4 * 22 + 2 * (10 + 2) * 32))
    expect(trainMemoryBytes(mlp, 64)).toBeGreaterThan(trainMemoryBytes(mlp, 32))
    // input 64, conv 256, pool 64, conv 96, pool 24, (flatten: a view), dense 16, dropout 16, output 2
    expect(modelCost(cnn).activationsPerRow).toBe(64 + 256 + 64 + 96 + 24 + 16 + 16 + 2)
  })

  it('costs custom models from their topology', () => {
    const topology = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 5, batch_input_shape: [null, 4] } }] } }
    expect(modelCost({ ...mlp, template: 'custom', outputSize: 5, topology })).toEqual({ params: 25, forwardFlopsPerRow: 50, activationsPerRow: 9 })
  })
})
