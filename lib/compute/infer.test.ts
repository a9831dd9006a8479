import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packTensors, unpackTensors, type InferTask, type ModelSpec } from '../protocol'
import { predictOutputs } from './evaluate'
import { runInferTask } from './infer'
import { clearModelCache } from './model-cache'
import { runTask } from './run-task'
import { initialWeights } from './weights'
import { BARS_SPEC, LINE_SPEC, SPEC, bars, separable, useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearModelCache)

function inferTask(model: ModelSpec, rows: number): InferTask {
  return {
    kind: 'infer',
    instanceId: 3,
    taskId: 4,
    jobId: 'job',
    shard: 0,
    model,
    weights: { hash: '0'.repeat(64), bytes: 0, url: '/w' },
    data: { hash: '1'.repeat(64), bytes: 0, url: '/d' },
    rows,
    deadline: Date.now() + 60_000,
  }
}

describe('runInferTask', () => {
  it('returns y [rows, classes] of probabilities, as predictOutputs computes them', async () => {
    const { x } = separable(25)
    const weights = initialWeights(SPEC, 5)
    const progress: number[] = []
    const out = await runInferTask(inferTask(SPEC, 25), packTensors(weights), packTensors([{ name: 'x', shape: [25, 4], data: x }]), { onProgress: (f) => progress.push(f) })
    const [y] = unpackTensors(out.output)
    expect(y.name).toBe('y')
    expect(y.shape).toEqual([25, 3])
    for (let i = 0; i < 25; i++) expect(y.data[i * 3] + y.data[i * 3 + 1] + y.data[i * 3 + 2]).toBeCloseTo(1, 5)
    Array.from(predictOutputs(SPEC, weights, x, 25)).forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 6))
    expect(progress.at(-1)).toBe(1)
    expect(out.elapsedMs).toBeGreaterThan(0)
  })

  it('returns one raw value per row for regression, and works for a cnn', async () => {
    const w = [
      { name: 'dense_0/kernel', shape: [1, 1], data: Float32Array.of(2) },
      { name: 'dense_0/bias', shape: [1], data: Float32Array.of(1) },
    ]
    const reg = await runInferTask(inferTask(LINE_SPEC, 3), packTensors(w), packTensors([{ name: 'x', shape: [3, 1], data: Float32Array.of(0, 1, 10) }]))
    expect(unpackTensors(reg.output)[0]).toMatchObject({ shape: [3, 1], data: Float32Array.of(1, 3, 21) })

    const { x, y } = bars(5)
    const data = packTensors([{ name: 'x', shape: [5, 64], data: x }, { name: 'y', shape: [5, 2], data: y }]) // a y is ignored
    const weightsPack = packTensors(initialWeights(BARS_SPEC, 1))
    const out = await runTask(inferTask(BARS_SPEC, 5), async (ref) => (ref.url === '/w' ? weightsPack : data))
    expect(out.loss).toBeNull()
    expect(unpackTensors(out.result)[0].shape).toEqual([5, 2])
  })

  it('refuses data or weights that do not fit, leaking nothing', async () => {
    const weights = packTensors(initialWeights(SPEC, 5))
    const before = tf.memory().numTensors
    await expect(runInferTask(inferTask(SPEC, 4), weights, packTensors([{ name: 'x', shape: [3, 4], data: new Float32Array(12) }]))).rejects.toThrow(/holds 3 rows but the task says 4/)
    await expect(runInferTask(inferTask(SPEC, 3), weights, packTensors([{ name: 'x', shape: [3, 5], data: new Float32Array(15) }]))).rejects.toThrow(/expected \[rows, 4\]/)
    await expect(runInferTask(inferTask({ ...SPEC, hidden: [9] }, 1), weights, packTensors([{ name: 'x', shape: [1, 4], data: new Float32Array(4) }]))).rejects.toThrow(/dense_0\/kernel has shape \[4,8\]/)
    expect(tf.memory().numTensors).toBe(before)
  })
})
