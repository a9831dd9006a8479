/** Training beyond the basic MLP: cnn, regression, class weights, momentum, localSteps and dropout. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packTensors, unpackTensors } from '../protocol'
import { regressionReport } from '../metrics'
import { evaluate, predictOutputs } from './evaluate'
import { perExampleLoss } from './loss'
import { clearModelCache } from './model-cache'
import { runTrainTask } from './train'
import { initialWeights } from './weights'
import { BARS_SPEC, LINE_SPEC, SPEC, bars, dataPack, line, makeTask, packs, useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearModelCache)

describe('runTrainTask on other templates', () => {
  it('trains a cnn to tell horizontal from vertical bars (> 90% on fresh images)', async () => {
    const { x, y } = bars(96)
    const task = makeTask({ localEpochs: 8, batchSize: 16, learningRate: 0.01 }, 96, BARS_SPEC)
    const out = await runTrainTask(task, packTensors(initialWeights(BARS_SPEC, 4)), dataPack(x, y, 96))
    const test = bars(60, 2)
    expect(evaluate(BARS_SPEC, unpackTensors(out.weights), test.x, test.y, 60).accuracy).toBeGreaterThan(0.9)
  })

  it('learns y = 2x + 1 with the linear template (R² > 0.95)', async () => {
    const { x, y } = line(100)
    const task = makeTask({ localEpochs: 40, batchSize: 10, learningRate: 0.1 }, 100, LINE_SPEC)
    const out = await runTrainTask(task, packTensors(initialWeights(LINE_SPEC, 1)), dataPack(x, y, 100))
    const test = line(50, 9)
    const weights = unpackTensors(out.weights)
    expect(regressionReport(predictOutputs(LINE_SPEC, weights, test.x, 50), test.y).r2).toBeGreaterThan(0.95)
    expect(weights.find((w) => w.name === 'dense_0/kernel')!.data[0]).toBeCloseTo(2, 1)
    expect(out.loss).toBeLessThan(0.05)
  })

  it('trains with sgd momentum, differently from plain sgd', async () => {
    const { x, y, weightsPack, dataPack: data } = packs()
    const m = await runTrainTask(makeTask({ optimizer: 'momentum', momentum: 0.9, learningRate: 0.02, localEpochs: 10 }), weightsPack, data)
    const s = await runTrainTask(makeTask({ optimizer: 'sgd', learningRate: 0.02, localEpochs: 10 }), weightsPack, data)
    expect(evaluate(SPEC, unpackTensors(m.weights), x, y, 120).accuracy).toBeGreaterThan(0.9)
    expect(m.loss!).toBeLessThan(s.loss!)
    const d = await runTrainTask(makeTask({ optimizer: 'momentum', learningRate: 0.02, localEpochs: 10 }), weightsPack, data) // default μ 0.9
    expect(new Uint8Array(d.weights)).toEqual(new Uint8Array(m.weights))
  })

  it('runs exactly localSteps batches, cycling over the shard', async () => {
    const { weightsPack, dataPack: data } = packs()
    for (const steps of [3, 20]) {
      // 120 rows / 16 = 8 batches per pass: 3 is part of one pass, 20 is two passes and a half
      const progress: number[] = []
      const out = await runTrainTask(makeTask({ localSteps: steps, localEpochs: 50 }), weightsPack, data, { onProgress: (f) => progress.push(f) })
      expect(progress).toHaveLength(steps)
      expect(progress.at(-1)).toBe(1)
      expect(out.loss).not.toBeNull()
    }
  })

  it('weights the loss by class', async () => {
    const y = tf.tensor2d([1, 0, 0, 1], [2, 2])
    const p = tf.tensor2d([0.5, 0.5, 0.25, 0.75], [2, 2])
    expect(Array.from(perExampleLoss('classification', y, p).dataSync())).toEqual([expect.closeTo(Math.LN2, 5), expect.closeTo(-Math.log(0.75), 5)])
    const weighted = perExampleLoss('classification', y, p, tf.tensor1d([2, 1])).dataSync()
    expect(Array.from(weighted)).toEqual([expect.closeTo(2 * Math.LN2, 5), expect.closeTo(-Math.log(0.75), 5)])
    expect(Array.from(perExampleLoss('regression', tf.tensor2d([1, 2], [2, 1]), tf.tensor2d([0, 4], [2, 1])).dataSync())).toEqual([1, 4])

    const { weightsPack, dataPack: data } = packs(60)
    const plain = await runTrainTask(makeTask({ localEpochs: 1 }, 60), weightsPack, data)
    const ones = await runTrainTask(makeTask({ localEpochs: 1, classWeights: [1, 1, 1] }, 60), weightsPack, data)
    const heavy = await runTrainTask(makeTask({ localEpochs: 1, classWeights: [5, 1, 1] }, 60), weightsPack, data)
    expect(new Uint8Array(ones.weights)).toEqual(new Uint8Array(plain.weights))
    expect(heavy.loss!).toBeGreaterThan(plain.loss! * 1.5)
    expect(new Uint8Array(heavy.weights)).not.toEqual(new Uint8Array(plain.weights))
    await expect(runTrainTask(makeTask({ classWeights: [1, 2] }, 60), weightsPack, data)).rejects.toThrow(/classWeights has 2 entries but the model has 3 classes/)
  })

  it('applies dropout in training only, reproducibly for a seed', async () => {
    const spec = { ...SPEC, hidden: [32], dropout: 0.5 }
    const weightsPack = packTensors(initialWeights(spec, 2))
    const { dataPack: data } = packs(60)
    const task = { ...makeTask({ localEpochs: 2, seed: 8 }, 60), model: spec }
    const a = await runTrainTask(task, weightsPack, data)
    const b = await runTrainTask(task, weightsPack, data)
    const c = await runTrainTask({ ...task, model: { ...spec, dropout: 0 } }, weightsPack, data)
    expect(new Uint8Array(a.weights)).toEqual(new Uint8Array(b.weights))
    expect(new Uint8Array(a.weights)).not.toEqual(new Uint8Array(c.weights))
    // prediction ignores dropout: the same input gives the same output twice
    const x = packs(3).x
    const w = unpackTensors(a.weights)
    expect(Array.from(predictOutputs(spec, w, x, 3))).toEqual(Array.from(predictOutputs(spec, w, x, 3)))
  })

  it('leaks no tensors training a cnn with dropout', async () => {
    const spec = { ...BARS_SPEC, dropout: 0.3 }
    const { x, y } = bars(32)
    const weightsPack = packTensors(initialWeights(spec, 1))
    const task = makeTask({ localEpochs: 1 }, 32, spec)
    await runTrainTask(task, weightsPack, dataPack(x, y, 32))
    const before = tf.memory().numTensors
    await runTrainTask({ ...task, hyper: { ...task.hyper, optimizer: 'momentum', classWeights: [1, 2] } }, weightsPack, dataPack(x, y, 32))
    expect(tf.memory().numTensors).toBe(before)
  })
})
