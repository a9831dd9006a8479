import { describe, expect, it } from 'vitest'
import { isNimbleError, type NamedTensor } from '../protocol'
import { weightedAverage } from './average'
import { outerStep } from './outer'
import { mulberry32 } from './prng'

const t = (name: string, values: number[]): NamedTensor => ({ name, shape: [values.length], data: Float32Array.from(values) })

describe('outerStep (DiLoCo)', () => {
  it('equals FedAvg with lr 1 and no momentum', () => {
    const rand = mulberry32(3)
    const global = [t('dense_0/kernel', [0.5, -1, 2]), t('dense_0/bias', [0.1])]
    const results = Array.from({ length: 4 }, () => ({ tensors: global.map((g) => ({ ...g, data: g.data.map((v) => v + (rand() - 0.5)) })), weight: 1 + rand() * 10 }))
    const averaged = weightedAverage(results)
    for (const nesterov of [true, false]) {
      const out = outerStep(global, averaged, null, { learningRate: 1, momentum: 0, nesterov })
      expect(out.weights).toEqual(averaged)
    }
  })

  it('applies momentum and Nesterov by hand', () => {
    // g = 1 - 0.5 = 0.5; m = 0.9·0.2 + 0.5 = 0.68
    const args: [NamedTensor[], NamedTensor[], NamedTensor[]] = [[t('w', [1])], [t('w', [0.5])], [t('w', [0.2])]]
    const heavy = outerStep(...args, { learningRate: 0.7, momentum: 0.9, nesterov: false })
    expect(heavy.momentum[0].data[0]).toBeCloseTo(0.68, 6)
    expect(heavy.weights[0].data[0]).toBeCloseTo(1 - 0.7 * 0.68, 6)
    const nesterov = outerStep(...args, { learningRate: 0.7, momentum: 0.9, nesterov: true })
    expect(nesterov.weights[0].data[0]).toBeCloseTo(1 - 0.7 * (0.5 + 0.9 * 0.68), 6)
    // the first round starts from zero momentum
    expect(outerStep([t('w', [1])], [t('w', [0.5])], null, { learningRate: 1, momentum: 0.9, nesterov: false }).momentum[0].data[0]).toBeCloseTo(0.5, 6)
  })

  it('averages BatchNormalization moving statistics instead of extrapolating them', () => {
    const out = outerStep([t('bn/moving_variance', [1]), t('bn/gamma', [1])], [t('bn/moving_variance', [0.1]), t('bn/gamma', [0.1])], null, { learningRate: 2, momentum: 0.9, nesterov: true })
    expect(out.weights[0].data[0]).toBeCloseTo(0.1, 6)
    expect(out.momentum[0].data[0]).toBe(0)
    expect(out.weights[1].data[0]).toBeLessThan(0) // a parameter does get the outer step
  })

  it('accumulates in float64 and does not alias its inputs', () => {
    const global = [t('w', [16777216])] // 2^24: float32 cannot add 1 to it
    const out = outerStep(global, [t('w', [16777215])], null, { learningRate: 1, momentum: 0, nesterov: true })
    expect(out.weights[0].data[0]).toBe(16777215)
    out.weights[0].data[0] = 0
    expect(global[0].data[0]).toBe(16777216)
  })

  it('refuses mismatched tensors and bad options', () => {
    const opts = { learningRate: 1, momentum: 0.5, nesterov: true }
    const fails = (fn: () => unknown, re: RegExp) => {
      try {
        fn()
      } catch (e) {
        expect(isNimbleError(e)).toBe(true)
        expect((e as Error).message).toMatch(re)
        return
      }
      throw new Error('expected an error')
    }
    fails(() => outerStep([t('a', [1])], [t('b', [1])], null, opts), /no tensor a/)
    fails(() => outerStep([t('a', [1])], [t('a', [1, 2])], null, opts), /shape \[2\]/)
    fails(() => outerStep([t('a', [1])], [t('a', [1])], [t('a', [1]), t('b', [1])], opts), /momentum holds 2 tensors/)
    fails(() => outerStep([t('a', [1])], [t('a', [1])], null, { ...opts, momentum: 1 }), /momentum must be in \[0, 1\)/)
    fails(() => outerStep([t('a', [1])], [t('a', [1])], null, { ...opts, learningRate: 0 }), /learning rate must be positive/)
  })
})
