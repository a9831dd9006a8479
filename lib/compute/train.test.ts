import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { isNimbleError, unpackTensors } from '../protocol'
import { evaluate } from './evaluate'
import { clearModelCache } from './model-cache'
import { runTrainTask } from './train'
import { makeTask, packs, SPEC, useCpu } from './test-fixtures'

beforeAll(useCpu)

describe('runTrainTask', () => {
  it('learns a separable problem: loss falls and accuracy exceeds 0.9', async () => {
    const { x, y, weightsPack, dataPack } = packs()
    const before = evaluate(SPEC, unpackTensors(weightsPack), x, y, 120)
    const progress: [number, number | null][] = []
    const out = await runTrainTask(makeTask(), weightsPack, dataPack, { onProgress: (f, l) => progress.push([f, l]) })
    const after = evaluate(SPEC, unpackTensors(out.weights), x, y, 120)
    expect(after.loss).toBeLessThan(before.loss * 0.5)
    expect(after.accuracy).toBeGreaterThan(0.9)
    expect(out.loss).not.toBeNull()
    expect(out.loss!).toBeLessThan(before.loss)
    expect(out.elapsedMs).toBeGreaterThan(0)
    // 120 rows / 16 = 8 batches per epoch, 15 epochs
    expect(progress).toHaveLength(8 * 15)
    expect(progress.at(-1)![0]).toBe(1)
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0])
    clearModelCache()
  })

  it('returns weights in model.getWeights() order with the spec names', async () => {
    const { weightsPack, dataPack } = packs(30)
    const out = await runTrainTask(makeTask({ localEpochs: 1 }, 30), weightsPack, dataPack)
    expect(unpackTensors(out.weights).map((t) => [t.name, t.shape])).toEqual([
      ['dense_0/kernel', [4, 8]],
      ['dense_0/bias', [8]],
      ['dense_1/kernel', [8, 3]],
      ['dense_1/bias', [3]],
    ])
  })

  it('is reproducible for a seed, and the seed changes the batch order', async () => {
    const { weightsPack, dataPack } = packs(60)
    const a = await runTrainTask(makeTask({ localEpochs: 2, seed: 5 }, 60), weightsPack, dataPack)
    const b = await runTrainTask(makeTask({ localEpochs: 2, seed: 5 }, 60), weightsPack, dataPack)
    const c = await runTrainTask(makeTask({ localEpochs: 2, seed: 6 }, 60), weightsPack, dataPack)
    expect(new Uint8Array(a.weights)).toEqual(new Uint8Array(b.weights))
    expect(new Uint8Array(a.weights)).not.toEqual(new Uint8Array(c.weights))
  })

  it('trains with sgd too', async () => {
    const { x, y, weightsPack, dataPack } = packs()
    const out = await runTrainTask(makeTask({ optimizer: 'sgd', learningRate: 0.2, localEpochs: 20 }), weightsPack, dataPack)
    expect(evaluate(SPEC, unpackTensors(out.weights), x, y, 120).accuracy).toBeGreaterThan(0.9)
    clearModelCache()
  })

  it('leaks no tensors, on success or failure', async () => {
    const { weightsPack, dataPack } = packs(60)
    await runTrainTask(makeTask({ localEpochs: 1 }, 60), weightsPack, dataPack) // first run creates tfjs's lazy internals
    const before = tf.memory().numTensors
    await runTrainTask(makeTask({ localEpochs: 2 }, 60), weightsPack, dataPack)
    await runTrainTask(makeTask({ localEpochs: 1, optimizer: 'sgd' }, 60), weightsPack, dataPack)
    await expect(runTrainTask(makeTask({}, 60), packs(60).dataPack, dataPack)).rejects.toThrow()
    const ac = new AbortController()
    const run = runTrainTask(makeTask({ localEpochs: 50 }, 60), weightsPack, dataPack, { signal: ac.signal, onProgress: (f) => f > 0.1 && ac.abort() })
    await expect(run).rejects.toThrow()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('stops promptly when aborted', async () => {
    const { weightsPack, dataPack } = packs()
    const ac = new AbortController()
    let calls = 0
    const run = runTrainTask(makeTask({ localEpochs: 100 }), weightsPack, dataPack, {
      signal: ac.signal,
      onProgress: () => {
        if (++calls === 3) ac.abort()
      },
    })
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(calls).toBe(3)
  })

  it('refuses weights or data that do not fit the spec', async () => {
    const { weightsPack, dataPack } = packs(30)
    const wrongRows = runTrainTask(makeTask({}, 31), weightsPack, dataPack)
    await expect(wrongRows).rejects.toThrow(/30 rows but the task says 31/)
    const wrongWeights = runTrainTask({ ...makeTask({}, 30), model: { ...SPEC, hidden: [9] } }, weightsPack, dataPack)
    await expect(wrongWeights).rejects.toSatisfy((e) => isNimbleError(e) && /dense_0\/kernel has shape \[4,8\]/.test((e as Error).message))
  })
})
