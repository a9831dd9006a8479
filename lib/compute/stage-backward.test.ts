import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isNimbleError, packTensors, unpackTensors, type BlobRef, type NamedTensor, type StageTask } from '../protocol'
import { mulberry32 } from './prng'
import { runTask } from './run-task'
import { clearSegmentCache, runStageTask, segmentLayersFromTopology, splitLayerWeights } from './segment'
import { SegmentCache } from './segment-cache'
import { runStageBackward, type BackwardOptions } from './stage-backward'
import { useCpu } from './test-fixtures'

beforeAll(useCpu)
afterAll(clearSegmentCache)

type Loss = NonNullable<StageTask['loss']>

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

/** One forward StageTask per [cuts[i], cuts[i+1]) of `model`, weights stored per layer, as the coordinator plans them. */
function planStages(model: tf.LayersModel, cuts: number[], store: Store, rows: number, input: BlobRef, microBatch = 0): StageTask[] {
  const topology = model.toJSON(null, false)
  const layerRefs = new Map(splitLayerWeights(model).map((p) => [p.layer, store.add(packTensors(p.tensors))]))
  return cuts.slice(0, -1).map((from, stage) => {
    const to = cuts[stage + 1]
    const { outputShape: _, ...segment } = segmentLayersFromTopology(topology, from, to)
    const weights = [...layerRefs].filter(([layer]) => layer >= from && layer < to).map(([layer, ref]) => ({ layer, ref }))
    return { kind: 'stage', instanceId: 1, taskId: 1, jobId: 'job', stage, stages: cuts.length - 1, microBatch, segment, weights, input, rows, deadline: Date.now() + 60_000 }
  })
}

type StepResult = { grads: Map<string, Float32Array>; lossSum: number; names: string[][] }

/**
 * One GPipe step as the coordinator runs it: per micro-batch, forward through every stage, then
 * backward from the last stage to the first, each stage's `dx` passed on as the previous stage's
 * `gradient`; weight gradients and losses summed over micro-batches.
 */
async function pipelineStep(
  model: tf.LayersModel,
  cuts: number[],
  data: { x: Float32Array; y: Float32Array; inWidth: number; outWidth: number },
  microRows: number[],
  loss: Loss,
  cache: SegmentCache,
  store: Store,
  passRows: (microBatch: number) => number | undefined = () => undefined,
): Promise<StepResult> {
  const stepRows = microRows.reduce((a, b) => a + b, 0)
  const grads = new Map<string, Float32Array>()
  const names: string[][] = []
  let lossSum = 0
  let offset = 0
  for (const [mb, rows] of microRows.entries()) {
    const x = data.x.slice(offset * data.inWidth, (offset + rows) * data.inWidth)
    const y = data.y.slice(offset * data.outWidth, (offset + rows) * data.outWidth)
    offset += rows
    const inputs = [packTensors([{ name: 'x', shape: [rows, data.inWidth], data: x }])] // flat rows, as a shard holds them
    const tasks = planStages(model, cuts, store, rows, store.add(inputs[0]), mb)
    for (const task of tasks.slice(0, -1)) inputs.push((await runStageTask(task, store.fetch, inputs.at(-1)!, { cache })).output)
    const labels = store.add(packTensors([{ name: 'y', shape: [rows, data.outWidth], data: y }]))
    let gradient: BlobRef | undefined
    for (let s = tasks.length - 1; s >= 0; s--) {
      const last = s === tasks.length - 1
      const task: StageTask = { ...tasks[s], mode: 'backward', input: store.add(inputs[s]), ...(last ? { labels, loss, stepRows } : { gradient }) }
      const out = unpackTensors((await runStageBackward(task, store.fetch, inputs[s], { cache, rowsPerPass: passRows(mb) })).output)
      names[s] = out.map((t) => t.name)
      for (const t of out) {
        if (t.name === 'dx') {
          if (tasks[s].segment.layers[0].class_name === 'Embedding') expect(t.data.every((v) => v === 0)).toBe(true)
          gradient = store.add(packTensors([t]))
        }
        else if (t.name === 'loss') lossSum += t.data[0]
        else grads.set(t.name, add(grads.get(t.name), t.data))
      }
    }
  }
  return { grads, lossSum, names }
}

function add(a: Float32Array | undefined, b: Float32Array): Float32Array {
  return a ? a.map((v, i) => v + b[i]) : Float32Array.from(b)
}

/** The whole model's mean loss over the batch and its gradient per trainable weight (by tfjs name), in inference mode. */
function wholeModel(model: tf.LayersModel, xData: Float32Array, inShape: number[], yData: Float32Array, loss: Loss) {
  const x = tf.tensor(xData, [yData.length / (model.outputs[0].shape[1] as number), ...inShape])
  const y = tf.tensor2d(yData, [x.shape[0], model.outputs[0].shape[1] as number])
  const weights = model.trainableWeights
  const vars = weights.map((w) => w.read() as tf.Variable)
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: false }) as tf.Tensor
    return (loss === 'meanSquaredError' ? tf.losses.meanSquaredError(y, out) : tf.mean(tf.metrics.categoricalCrossentropy(y, out))) as tf.Scalar
  }, vars)
  const named = new Map(weights.map((w, i) => [w.originalName, grads[vars[i].name].dataSync() as Float32Array]))
  const mean = value.dataSync()[0]
  tf.dispose([x, y, value, ...Object.values(grads)])
  return { mean, grads: named }
}

/** Max abs difference per weight between the pipeline's summed gradients and the whole model's; also the largest reference value. */
function compare(got: Map<string, Float32Array>, want: Map<string, Float32Array>) {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
  let diff = 0
  let scale = 0
  for (const [name, w] of want) {
    const g = got.get(name)!
    expect(g.length, name).toBe(w.length)
    const d = g.reduce((m, v, i) => Math.max(m, Math.abs(v - w[i])), 0)
    expect(d, name).toBeLessThan(1e-5)
    diff = Math.max(diff, d)
    scale = Math.max(scale, ...w.map(Math.abs))
  }
  return { diff, scale }
}

function random(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = mulberry32(seed)
  return Float32Array.from({ length }, () => lo + rand() * (hi - lo))
}

function oneHot(rows: number, classes: number, seed: number): Float32Array {
  const rand = mulberry32(seed)
  const y = new Float32Array(rows * classes)
  for (let i = 0; i < rows; i++) y[i * classes + Math.floor(rand() * classes)] = 1
  return y
}

/** Six Dense layers, [6] -> [outUnits]. */
function mlp(outUnits: number, outActivation: 'softmax' | 'linear'): tf.Sequential {
  const units = [12, 10, 9, 8, 7, outUnits]
  return tf.sequential({
    layers: units.map((u, i) =>
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [6] } : {}),
        name: `dense_${i}`,
        units: u,
        activation: i === units.length - 1 ? outActivation : 'tanh',
        kernelInitializer: tf.initializers.glorotUniform({ seed: i + 1 }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: 50 + i }),
      }),
    ),
  })
}

/** Conv2D → BatchNormalization → MaxPool → Flatten | Dense → Dropout → Dense(softmax), on 8x8x1 images. */
function convNet(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], name: 'conv_0', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: 0.05 }) }),
      tf.layers.batchNormalization({ name: 'bn_0' }),
      tf.layers.maxPooling2d({ name: 'pool_0', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten_0' }),
      tf.layers.dense({ name: 'dense_0', units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
      tf.layers.dropout({ name: 'drop_0', rate: 0.5 }),
      tf.layers.dense({ name: 'dense_1', units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  })
  // Moving statistics that are not the identity, and gamma/beta that are not 1/0, so BatchNormalization matters.
  model.getLayer('bn_0').setWeights([tf.tensor1d([1.5, 0.8, 1.2, 0.6]), tf.tensor1d([0.1, -0.2, 0.3, 0]), tf.fill([4], 0.3), tf.tensor1d([2, 0.5, 1, 3])])
  return model
}

const log = (label: string, r: { diff: number; scale: number }, lossDiff: number) =>
  console.info(`${label}: max |Δgrad| ${r.diff.toExponential(2)} (largest |grad| ${r.scale.toFixed(3)}), |Δloss| ${lossDiff.toExponential(2)}`)

describe('runStageBackward', () => {
  it('6 Dense layers in 3 stages, 2 micro-batches: summed gradients and loss equal the whole model\'s mean categorical cross-entropy', async () => {
    const model = mlp(4, 'softmax')
    const rows = 13
    const data = { x: random(rows * 6, 1, -2, 2), y: oneHot(rows, 4, 2), inWidth: 6, outWidth: 4 }
    const store = blobStore()
    const cache = new SegmentCache()
    // Micro-batch 0 in passes of 3 rows (3 + 3 + 1), micro-batch 1 in one pass.
    const step = await pipelineStep(model, [0, 2, 4, 6], data, [7, 6], 'categoricalCrossentropy', cache, store, (mb) => (mb === 0 ? 3 : undefined))
    expect(step.names).toEqual([
      ['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias'],
      ['dx', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias'],
      ['dx', 'dense_4/kernel', 'dense_4/bias', 'dense_5/kernel', 'dense_5/bias', 'loss'],
    ])
    expect(cache.builds).toBe(3) // backward reused the segments forward loaded

    const ref = wholeModel(model, data.x, [6], data.y, 'categoricalCrossentropy')
    const r = compare(step.grads, ref.grads)
    expect(r.scale).toBeGreaterThan(0.05) // the gradients are not vanishingly small, so 1e-5 means something
    const lossDiff = Math.abs(step.lossSum / rows - ref.mean)
    expect(lossDiff).toBeLessThan(1e-6)
    expect(ref.mean).toBeGreaterThan(0.5)
    log('mlp/cce', r, lossDiff)
    cache.clear()
    model.dispose()
  })

  it('the same for meanSquaredError with a linear output', async () => {
    const model = mlp(3, 'linear')
    const rows = 10
    const data = { x: random(rows * 6, 3, -2, 2), y: random(rows * 3, 4, -3, 3), inWidth: 6, outWidth: 3 }
    const store = blobStore()
    const cache = new SegmentCache()
    const step = await pipelineStep(model, [0, 2, 4, 6], data, [4, 6], 'meanSquaredError', cache, store, (mb) => (mb === 1 ? 1 : undefined))
    expect(step.names[2].at(-1)).toBe('loss')

    const ref = wholeModel(model, data.x, [6], data.y, 'meanSquaredError')
    const r = compare(step.grads, ref.grads)
    expect(r.scale).toBeGreaterThan(0.05)
    const lossDiff = Math.abs(step.lossSum / rows - ref.mean)
    expect(lossDiff).toBeLessThan(1e-6)
    log('mlp/mse', r, lossDiff)
    cache.clear()
    model.dispose()
  })

  it('a conv segment (Conv2D → BatchNorm → MaxPool → Flatten | Dense → Dropout → Dense) matches the whole model in inference mode', async () => {
    const model = convNet()
    const rows = 11
    const data = { x: random(rows * 64, 5), y: oneHot(rows, 3, 6), inWidth: 64, outWidth: 3 }
    const store = blobStore()
    const cache = new SegmentCache()
    const step = await pipelineStep(model, [0, 4, 7], data, [5, 6], 'categoricalCrossentropy', cache, store, (mb) => (mb === 0 ? 2 : undefined))
    // Moving statistics are not trainable: no gradient for them.
    expect(step.names).toEqual([
      ['conv_0/kernel', 'conv_0/bias', 'bn_0/gamma', 'bn_0/beta'],
      ['dx', 'dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias', 'loss'],
    ])

    const ref = wholeModel(model, data.x, [8, 8, 1], data.y, 'categoricalCrossentropy')
    const r = compare(step.grads, ref.grads)
    expect(r.scale).toBeGreaterThan(0.05)
    const lossDiff = Math.abs(step.lossSum / rows - ref.mean)
    expect(lossDiff).toBeLessThan(1e-6)
    log('conv/cce', r, lossDiff)
    // The moving statistics were left as they were.
    expect(Array.from(model.getLayer('bn_0').getWeights()[3].dataSync())).toEqual([2, 0.5, 1, 3])
    cache.clear()
    model.dispose()
  })

  it('dx is [rows, ...inputShape] and equals the whole model\'s dL/dx for the rows of the micro-batch', async () => {
    const model = mlp(4, 'softmax')
    const rows = 5
    const x = random(rows * 6, 7, -2, 2)
    const y = oneHot(rows, 4, 8)
    const store = blobStore()
    const cache = new SegmentCache()
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: x }])
    const [whole] = planStages(model, [0, 6], store, rows, store.add(input))
    const task = { ...whole, stage: 1, stages: 2 } // as if a stage before it fed x
    const backward: StageTask = { ...task, mode: 'backward', labels: store.add(packTensors([{ name: 'y', shape: [rows, 4], data: y }])), loss: 'categoricalCrossentropy', stepRows: 20 }
    const out = unpackTensors((await runStageBackward(backward, store.fetch, input, { cache })).output)
    const dx = out.find((t) => t.name === 'dx')!
    expect(dx.shape).toEqual([rows, 6])
    const want = tf.tidy(() => {
      const xs = tf.tensor2d(x, [rows, 6])
      const f = (xv: tf.Tensor) => tf.div(tf.sum(tf.metrics.categoricalCrossentropy(tf.tensor2d(y, [rows, 4]), model.apply(xv) as tf.Tensor)), 20) as tf.Scalar
      return tf.grad(f)(xs).dataSync() as Float32Array
    })
    expect(dx.data.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0)).toBeLessThan(1e-6)
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(1e-3)
    cache.clear()
    model.dispose()
  })

  it('a stage starting with an Embedding returns a zero dx and the embedding\'s gradient', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.activation({ inputShape: [4], name: 'act_0', activation: 'linear' }),
        tf.layers.embedding({ name: 'embed_0', inputDim: 10, outputDim: 3, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 4 }) }),
        tf.layers.flatten({ name: 'flatten_0' }),
        tf.layers.dense({ name: 'dense_0', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      ],
    })
    const rows = 6
    const data = { x: random(rows * 4, 15, 0, 10).map(Math.floor), y: oneHot(rows, 2, 16), inWidth: 4, outWidth: 2 }
    const store = blobStore()
    const cache = new SegmentCache()
    const step = await pipelineStep(model, [0, 1, 4], data, [rows], 'categoricalCrossentropy', cache, store)
    expect(step.names).toEqual([[], ['dx', 'embed_0/embeddings', 'dense_0/kernel', 'dense_0/bias', 'loss']])
    const ref = wholeModel(model, data.x, [4], data.y, 'categoricalCrossentropy')
    expect(compare(step.grads, ref.grads).scale).toBeGreaterThan(0.01)
    expect(Math.abs(step.lossSum / rows - ref.mean)).toBeLessThan(1e-6)
    cache.clear()
    model.dispose()
  })

  describe('bad inputs', () => {
    const rows = 3
    const model = mlp(4, 'softmax')
    const store = blobStore()
    const firstInput = packTensors([{ name: 'x', shape: [rows, 6], data: random(rows * 6, 9) }])
    const lastInput = packTensors([{ name: 'x', shape: [rows, 9], data: random(rows * 9, 10) }])
    const [first, last] = planStages(model, [0, 3, 6], store, rows, store.add(firstInput)).map((t): StageTask => ({ ...t, mode: 'backward' }))
    const labels = (shape: number[], data = oneHot(rows, 4, 1)) => store.add(packTensors([{ name: 'y', shape, data }]))
    const grad = (shape: number[]) => store.add(packTensors([{ name: 'dx', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]))
    const good = { labels: labels([rows, 4]), loss: 'categoricalCrossentropy', stepRows: 6 } as const
    const weightHashes = new Set([...first.weights, ...last.weights].map((w) => w.ref.hash))

    afterAll(() => model.dispose())

    it.each<[string, StageTask, RegExp, string]>([
      ['missing labels on the last stage', { ...last, ...good, labels: undefined }, /the last stage \(stage 2\/2\) computes the loss and needs `labels`/, 'labels'],
      ['missing loss', { ...last, ...good, loss: undefined }, /needs `loss`: categoricalCrossentropy or meanSquaredError/, 'loss'],
      ['missing stepRows', { ...last, ...good, stepRows: undefined }, /needs `stepRows`/, 'stepRows'],
      ['stepRows below rows', { ...last, ...good, stepRows: 2 }, /stepRows 2 is fewer than this micro-batch's 3 rows/, 'stepRows'],
      ['a gradient on the last stage', { ...last, ...good, gradient: grad([rows, 4]) }, /drop `gradient`/, 'gradient'],
      ['labels of the wrong width', { ...last, ...good, labels: labels([rows, 3], new Float32Array(9)) }, /backward stage: y has shape \[3,3\], expected \[3, 4\]/, 'labels'],
      ['labels for other rows', { ...last, ...good, labels: labels([2, 4], new Float32Array(8)) }, /y holds 2 rows but the task says 3/, 'labels'],
      ['non-finite labels', { ...last, ...good, labels: labels([rows, 4], Float32Array.of(1, 0, 0, 0, 0, NaN, 0, 0, 0, 0, 1, 0)) }, /y holds NaN at row 1; values must be finite/, 'labels'],
      ['missing gradient on an earlier stage', first, /stage 1\/2 needs `gradient` \(the next stage's dx/, 'gradient'],
      ['a gradient of the wrong shape', { ...first, gradient: grad([rows, 8]) }, /dx has shape \[3,8\], expected \[3, 9\] \(the segment's output\)/, 'gradient'],
      ['a gradient of the wrong rank', { ...first, gradient: grad([rows, 9, 1]) }, /dx has shape \[3,9,1\], expected \[3, 9\]/, 'gradient'],
      ['labels on an earlier stage', { ...first, gradient: grad([rows, 9]), labels: good.labels }, /only the last stage takes labels/, 'labels'],
      ['a forward task', { ...first, mode: 'forward', gradient: grad([rows, 9]) }, /expected mode 'backward', got 'forward'/, 'mode'],
    ])('%s → a clear NimbleError before any weights are fetched or anything computed', async (_, task, pattern, field) => {
      const cache = new SegmentCache()
      const before = tf.memory().numTensors
      store.fetched.length = 0
      const input = task.stage === 0 ? firstInput : lastInput
      const e = await runStageBackward(task, store.fetch, input, { cache }).catch((err: unknown) => err)
      expect((e as Error).message).toMatch(pattern)
      expect(isNimbleError(e) && [e.code, e.field]).toEqual(['bad_request', field])
      expect(store.fetched.filter((h) => weightHashes.has(h))).toEqual([])
      expect(cache.builds).toBe(0)
      expect(tf.memory().numTensors).toBe(before)
    })

    it('an input of the wrong shape, and a backward task sent to the forward runner', async () => {
      const cache = new SegmentCache()
      const wrong = packTensors([{ name: 'x', shape: [rows, 5], data: new Float32Array(15) }])
      await expect(runStageBackward({ ...last, ...good }, store.fetch, wrong, { cache })).rejects.toThrow(/stage input: x has shape \[3,5\], expected \[3, 9\]/)
      await expect(runStageTask({ ...last, ...good }, store.fetch, lastInput, { cache })).rejects.toThrow(/runs forward stages only/)
      expect(cache.builds).toBe(0)
      // The good task runs, on the same inputs.
      const out = unpackTensors((await runStageBackward({ ...last, ...good }, store.fetch, lastInput, { cache })).output)
      expect(out.map((t) => t.name)).toEqual(['dx', 'dense_3/kernel', 'dense_3/bias', 'dense_4/kernel', 'dense_4/bias', 'dense_5/kernel', 'dense_5/bias', 'loss'])
      cache.clear()
    })
  })

  it('leaks no tensor: over repeated steps, multi-pass micro-batches, and a step aborted mid-way', async () => {
    const model = mlp(4, 'softmax')
    const rows = 9
    const data = { x: random(rows * 6, 11), y: oneHot(rows, 4, 12), inWidth: 6, outWidth: 4 }
    const store = blobStore()
    const baseline = tf.memory().numTensors
    const cache = new SegmentCache()
    const first = await pipelineStep(model, [0, 2, 4, 6], data, [4, 5], 'categoricalCrossentropy', cache, store)
    const loaded = tf.memory().numTensors
    expect(loaded - baseline).toBe(12) // the three segments' kernels and biases stay loaded, nothing else
    for (let i = 0; i < 3; i++) {
      const again = await pipelineStep(model, [0, 2, 4, 6], data, [4, 5], 'categoricalCrossentropy', cache, store, () => 2)
      expect(tf.memory().numTensors).toBe(loaded)
      expect(again.lossSum).toBeCloseTo(first.lossSum, 5)
    }

    // Abort after the first pass: the partial sums are disposed.
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: data.x }])
    const [task] = planStages(model, [0, 6], store, rows, store.add(input))
    const controller = new AbortController()
    const opts: BackwardOptions = { cache, rowsPerPass: 2, signal: controller.signal, onProgress: () => controller.abort() }
    const labels = store.add(packTensors([{ name: 'y', shape: [rows, 4], data: data.y }]))
    await expect(runStageBackward({ ...task, mode: 'backward', labels, loss: 'categoricalCrossentropy', stepRows: rows }, store.fetch, input, opts)).rejects.toThrow(/abort/i)
    cache.clear()
    expect(tf.memory().numTensors).toBe(baseline)
    model.dispose()
  })

  it('runTask routes backward stage tasks, reporting the micro-batch\'s mean loss', async () => {
    clearSegmentCache()
    const model = mlp(4, 'softmax')
    const rows = 6
    const store = blobStore()
    const input = packTensors([{ name: 'x', shape: [rows, 6], data: random(rows * 6, 13) }])
    const [task] = planStages(model, [0, 6], store, rows, store.add(input))
    const y = oneHot(rows, 4, 14)
    const labels = store.add(packTensors([{ name: 'y', shape: [rows, 4], data: y }]))
    const progress: number[] = []
    const forward = await runTask({ ...task, mode: 'forward' }, store.fetch)
    const out = await runTask({ ...task, mode: 'backward', labels, loss: 'categoricalCrossentropy', stepRows: 12 }, store.fetch, { onProgress: (f) => progress.push(f) })
    const pack = new Map(unpackTensors(out.result).map((t): [string, NamedTensor] => [t.name, t]))
    expect([...pack.keys()]).toEqual(['dense_0/kernel', 'dense_0/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias', 'dense_4/kernel', 'dense_4/bias', 'dense_5/kernel', 'dense_5/bias', 'loss'])
    expect(pack.get('dense_0/kernel')!.shape).toEqual([6, 12])
    expect(out.loss).toBeCloseTo(pack.get('loss')!.data[0] / rows, 6)
    // The loss is the cross-entropy of the forward stage's probabilities.
    const probs = unpackTensors(forward.result)[0].data
    const meanCe = -probs.reduce((sum, p, i) => sum + y[i] * Math.log(p), 0) / rows
    expect(out.loss).toBeCloseTo(meanCe, 5)
    expect(progress.at(-1)).toBe(1)
    expect(forward.loss).toBeNull()
    clearSegmentCache()
    model.dispose()
  })
})
