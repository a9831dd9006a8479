import { describe, expect, it } from 'vitest'
import type { ModelSpec } from '../protocol'
import { denseLayers, forwardFlops, paramCount, trainFlops, trainMemoryBytes, weightShapes } from './shapes'

const mlp: ModelSpec = { template: 'mlp', inputSize: 4, outputSize: 3, hidden: [8, 5], activation: 'relu' }
const logistic: ModelSpec = { template: 'logistic', inputSize: 10, outputSize: 2, hidden: [16], activation: 'relu' }

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

  it('ignores hidden sizes for logistic regression', () => {
    expect(weightShapes(logistic)).toEqual([
      { name: 'dense_0/kernel', shape: [10, 2] },
      { name: 'dense_0/bias', shape: [2] },
    ])
    expect(denseLayers(logistic)).toEqual([{ name: 'dense_0', units: 2, activation: 'softmax' }])
  })

  it('treats an MLP with no hidden layers as logistic', () => {
    expect(weightShapes({ ...mlp, hidden: [] })).toEqual(weightShapes({ ...mlp, template: 'logistic' }))
  })

  it('puts the chosen activation on hidden layers and softmax on the output', () => {
    expect(denseLayers({ ...mlp, activation: 'tanh' }).map((l) => l.activation)).toEqual(['tanh', 'tanh', 'softmax'])
  })
})

describe('counts and estimates', () => {
  it('counts parameters', () => {
    expect(paramCount(mlp)).toBe(4 * 8 + 8 + 8 * 5 + 5 + 5 * 3 + 3)
    expect(paramCount(logistic)).toBe(22)
  })

  it('scales FLOPs with rows and epochs', () => {
    expect(forwardFlops(logistic, 100)).toBe(2 * 22 * 100)
    expect(trainFlops(logistic, 100, 3)).toBe(6 * 22 * 100 * 3)
    expect(trainFlops(mlp, 0, 5)).toBe(0)
  })

  it('estimates training memory from parameters and batch activations', () => {
    expect(trainMemoryBytes(logistic, 32)).toBe(4 * (4 * 22 + 2 * (10 + 2) * 32))
    expect(trainMemoryBytes(mlp, 64)).toBeGreaterThan(trainMemoryBytes(mlp, 32))
  })
})
