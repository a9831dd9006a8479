import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isNimbleError, packTensors, unpackTensors, type BlobRef, type StageTask } from '../protocol'
import { runTask } from './run-task'
import { buildSegment, clearSegmentCache, loadSegmentWeights, runStageTask, segmentLayersFromTopology, splitLayerWeights } from './segment'
import { SegmentCache } from './segment-cache'
import { mulberry32 } from './prng'
import { useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearSegmentCache)

/** A content-addressed blob store standing in for the coordinator. */
function blobStore() {
  const blobs = new Map<string, ArrayBuffer>()
  const fetched: string[] = []
  return {
    fetched,
    add(buf: ArrayBuffer): BlobRef {
      const hash = createHash('sha256').update(new Uint8Array(buf)).digest('hex')
      blobs.set(hash, buf)
      return { hash, bytes: buf.byteLength, url: `/api/blobs/${hash}` }
    },
    fetch: async (ref: BlobRef) => {
      fetched.push(ref.hash)
      const buf = blobs.get(ref.hash)
      if (!buf) throw new Error(`no blob ${ref.hash}`)
      return buf.slice(0)
    },
  }
}

type Store = ReturnType<typeof blobStore>

/** One StageTask per [cuts[i], cuts[i+1]) of `model`, as a coordinator would plan them, weights stored per layer. */
function planStages(model: tf.LayersModel, cuts: number[], store: Store, rows: number, input: BlobRef): StageTask[] {
  const topology = model.toJSON(null, false)
  const layerRefs = new Map(splitLayerWeights(model).map((p) => [p.layer, store.add(packTensors(p.tensors))]))
  return cuts.slice(0, -1).map((from, stage) => {
    const to = cuts[stage + 1]
    const { outputShape: _, ...segment } = segmentLayersFromTopology(topology, from, to)
    const weights = [...layerRefs].filter(([layer]) => layer >= from && layer < to).map(([layer, ref]) => ({ layer, ref }))
    return { kind: 'stage', instanceId: 1, taskId: 1, jobId: 'job', stage, stages: cuts.length - 1, microBatch: 0, segment, weights, input, rows, deadline: Date.now() + 60_000 }
  })
}

/** Runs the stages in order, each on the previous stage's result pack as is. */
async function chain(tasks: StageTask[], store: Store, input: ArrayBuffer, cache: SegmentCache): Promise<Float32Array> {
  let pack = input
  for (const task of tasks) pack = (await runStageTask(task, store.fetch, pack, { cache })).output
  const [y] = unpackTensors(pack)
  expect(y.name).toBe('y')
  return y.data
}

function randomInput(rows: number, width: number, seed = 1): Float32Array {
  const rand = mulberry32(seed)
  return Float32Array.from({ length: rows * width }, () => rand() * 2 - 1)
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
}

function expectInvalid(e: unknown, pattern: RegExp) {
  expect(isNimbleError(e) && e.code).toBe('invalid_model')
  expect((e as Error).message).toMatch(pattern)
}

function denseStack(): tf.Sequential {
  const layers = Array.from({ length: 12 }, (_, i) =>
    tf.layers.dense({
      ...(i === 0 ? { inputShape: [6] } : {}),
      name: `dense_${i}`,
      units: i === 11 ? 3 : 10 + i,
      activation: i === 11 ? 'softmax' : 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: i + 1 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 100 + i }),
    }),
  )
  return tf.sequential({ layers })
}

describe('pipeline segments', () => {
  it('12 Dense layers in 4 segments, chained, equal model.predict', async () => {
    const model = denseStack()
    const store = blobStore()
    const rows = 37
    const x = randomInput(rows, 6)
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: x }])
    const tasks = planStages(model, [0, 3, 6, 9, 12], store, rows, store.add(input))
    expect(tasks.map((t) => t.segment.inputShape)).toEqual([[6], [12], [15], [18]])
    expect(tasks[1].weights.map((w) => w.layer)).toEqual([3, 4, 5])

    const cache = new SegmentCache()
    const staged = await chain(tasks, store, input, cache)
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, 6])) as tf.Tensor).dataSync() as Float32Array)
    expect(maxAbsDiff(staged, expected)).toBeLessThan(1e-5)
    cache.clear()
    model.dispose()
  })

  it('Conv2D → BatchNormalization → pool | flatten → dense → dense, from flat rows, equals model.predict', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [8, 8, 1], name: 'input_0' }),
        tf.layers.conv2d({ name: 'conv_0', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization({ name: 'bn_0' }),
        tf.layers.maxPooling2d({ name: 'pool_0', poolSize: 2 }),
        tf.layers.flatten({ name: 'flatten_0' }),
        tf.layers.dense({ name: 'dense_0', units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.dense({ name: 'dense_1', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    })
    // Moving statistics that are not the identity, so inference-mode BatchNormalization matters.
    const bn = model.getLayer('bn_0')
    bn.setWeights([tf.fill([4], 1.5), tf.fill([4], 0.1), tf.fill([4], 0.3), tf.fill([4], 2)])
    expect(model.layers.map((l) => l.name)).toEqual(['input_0', 'conv_0', 'bn_0', 'pool_0', 'flatten_0', 'dense_0', 'dense_1'])
    const split = splitLayerWeights(model)
    expect(split.map((p) => p.layer)).toEqual([1, 2, 5, 6])
    expect(split[1].tensors.map((t) => t.name)).toEqual(['bn_0/gamma', 'bn_0/beta', 'bn_0/moving_mean', 'bn_0/moving_variance'])

    const store = blobStore()
    const rows = 9
    const x = randomInput(rows, 64, 2)
    const input = packTensors([{ name: 'x', shape: [rows, 64], data: x }]) // flat rows, as a data shard holds them
    const tasks = planStages(model, [0, 4, 7], store, rows, store.add(input))
    expect(tasks.map((t) => t.segment.inputShape)).toEqual([[8, 8, 1], [4, 4, 4]])
    expect(segmentLayersFromTopology(model.toJSON(null, false), 0, 4).outputShape).toEqual([4, 4, 4])

    const cache = new SegmentCache()
    const staged = await chain(tasks, store, input, cache)
    const expected = tf.tidy(() => (model.predict(tf.tensor4d(x, [rows, 8, 8, 1])) as tf.Tensor).dataSync() as Float32Array)
    expect(maxAbsDiff(staged, expected)).toBeLessThan(1e-5)
    cache.clear()
    model.dispose()
  })

  it('keeps a segment loaded between micro-batches: one build and one weights fetch for two', async () => {
    const model = denseStack()
    const store = blobStore()
    const rows = 5
    const inputs = [1, 2].map((seed) => packTensors([{ name: 'x', shape: [rows, 6], data: randomInput(rows, 6, seed) }]))
    const [task] = planStages(model, [0, 6, 12], store, rows, store.add(inputs[0]))
    const cache = new SegmentCache()
    const before = tf.memory().numTensors

    await runStageTask(task, store.fetch, inputs[0], { cache })
    await runStageTask({ ...task, microBatch: 1, input: store.add(inputs[1]) }, store.fetch, inputs[1], { cache })
    expect([cache.builds, cache.hits]).toEqual([1, 1])
    expect(store.fetched).toHaveLength(6) // the 6 layer packs, once
    expect(tf.memory().numTensors - before).toBe(12) // one segment's kernels and biases stay loaded

    // Other weights (the next round) are another entry; past maxEntries the oldest is disposed.
    const small = new SegmentCache({ maxEntries: 1 })
    const [, second] = planStages(model, [0, 6, 12], store, rows, task.input)
    const y = (await runStageTask(task, store.fetch, inputs[0], { cache: small })).output
    await runStageTask(second, store.fetch, y, { cache: small })
    expect(small.size).toBe(1)
    expect(tf.memory().numTensors - before).toBe(24) // the first segment in `small` was disposed on eviction
    cache.clear()
    small.clear()
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })

  it('runTask runs a stage, fetching its input each time and its weights once', async () => {
    clearSegmentCache()
    const model = denseStack()
    const store = blobStore()
    const rows = 4
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: randomInput(rows, 6) }])
    const [task] = planStages(model, [0, 12], store, rows, store.add(input))
    const progress: number[] = []
    const out = await runTask(task, store.fetch, { onProgress: (f) => progress.push(f) })
    await runTask({ ...task, microBatch: 1 }, store.fetch)
    expect(out.loss).toBeNull()
    expect(unpackTensors(out.result)[0].shape).toEqual([rows, 3])
    expect(progress.at(-1)).toBe(1)
    expect(store.fetched.filter((h) => h === task.input.hash)).toHaveLength(2)
    expect(store.fetched).toHaveLength(12 + 2)
    clearSegmentCache()
    model.dispose()
  })

  it('refuses weights that do not fit with a clear error, leaking nothing and caching nothing', async () => {
    const model = denseStack()
    const store = blobStore()
    const rows = 2
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: randomInput(rows, 6) }])
    const [task] = planStages(model, [0, 2, 12], store, rows, store.add(input))
    const [k0, b0] = splitLayerWeights(model)[0].tensors
    const [k1, b1] = splitLayerWeights(model)[1].tensors
    const withLayer0 = (tensors: typeof k0[]) => ({ ...task, weights: [{ layer: 0, ref: store.add(packTensors(tensors)) }, task.weights[1]] })
    const cache = new SegmentCache()
    const before = tf.memory().numTensors
    const attempt = async (t: StageTask, pattern: RegExp) => {
      const e = await runStageTask(t, store.fetch, input, { cache }).catch((err: unknown) => err)
      expectInvalid(e, pattern)
    }

    await attempt(withLayer0([{ ...k0, name: 'dense_9/kernel' }, b0]), /layer 0 \(dense_0\): weight dense_0\/kernel is missing \(the pack holds dense_9\/kernel, dense_0\/bias\)/)
    await attempt(withLayer0([{ ...k0, shape: [10, 6] }, b0]), /weight dense_0\/kernel has shape \[10,6\], expected \[6,10\]/)
    await attempt(withLayer0([k0]), /layer 0 \(dense_0\) has weights dense_0\/kernel, dense_0\/bias; its pack holds dense_0\/kernel/)
    await attempt({ ...task, weights: [task.weights[1]] }, /layer 0 \(dense_0\) needs dense_0\/kernel, dense_0\/bias; no weights pack was sent/)
    await attempt({ ...task, weights: [...task.weights, { layer: 7, ref: store.add(packTensors([k1, b1])) }] }, /weights packs for layers 7, which are not in this segment/)
    expect(cache.size).toBe(0)
    expect(tf.memory().numTensors).toBe(before)

    await runStageTask(task, store.fetch, input, { cache }) // the good weights still build
    expect(cache.builds).toBe(6)
    cache.clear()
    model.dispose()
  })

  it('checks the input and the segment it is given', async () => {
    const model = denseStack()
    const store = blobStore()
    const [task] = planStages(model, [0, 3, 12], store, 3, store.add(new ArrayBuffer(0)))
    const cache = new SegmentCache()
    await expect(runStageTask(task, store.fetch, packTensors([{ name: 'x', shape: [3, 5], data: new Float32Array(15) }]), { cache })).rejects.toThrow(/stage input: x has shape \[3,5\], expected \[3, 6\]/)
    await expect(runStageTask(task, store.fetch, packTensors([{ name: 'x', shape: [2, 6], data: new Float32Array(12) }]), { cache })).rejects.toThrow(/holds 2 rows but the task says 3/)
    expect(() => buildSegment({ ...task.segment, to: 4 })).toThrow(/should hold 4 layers but lists 3/)
    expect(() => buildSegment({ ...task.segment, layers: [{ class_name: 'LSTM', config: { units: 3 } }], to: 1 })).toThrow(/LSTM, which Nimble cannot train/)
    expect(() => segmentLayersFromTopology(model.toJSON(null, false), 5, 13)).toThrow(/cannot cut layers \[5, 13\) from a model of 12 layers/)
    const segment = buildSegment(task.segment)
    expect(() => loadSegmentWeights(segment, [{ layer: 0, tensors: [] }, { layer: 0, tensors: [] }])).toThrow(/two weights packs for layer 0/)
    segment.dispose()
    expect(store.fetched).toHaveLength(0) // bad input is refused before any weights are fetched
    model.dispose()
  })
})
