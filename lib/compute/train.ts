/**
 * Runs one training task: the device-side half of a round. Builds the model (any template),
 * loads the round's weights, trains in a seeded batch order, and returns the updated weights
 * as a tensor pack in model.getWeights() order.
 *
 * Length: `hyper.localSteps` mini-batches when set (cycling over the shard, reshuffled at each
 * pass), else `hyper.localEpochs` passes. Objective: lib/compute/loss.ts by task, with optional
 * per-class weights. Dropout is active (`training: true`) with per-step seeds.
 *
 * A manual batch loop (not model.fit) so that progress is reported after every batch,
 * an AbortSignal is honoured between batches, and the shuffle is our own seeded one.
 * Every tensor the task creates is disposed before it returns or throws.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, packTensors, unpackTensors, type TrainTask } from '../protocol'
import { buildModel } from './build-model'
import { perExampleLoss } from './loss'
import { reseedDropout, toModelInput } from './model-io'
import { disposeOptimizer, makeOptimizer } from './optimizer'
import { mulberry32, permutation } from './prng'
import { readShard } from './shard'
import { readWeightsAsync, writeWeights } from './weights'

export type TrainOptions = {
  /** Called after every batch with the fraction done and the running mean loss of the current pass. */
  onProgress?: (fraction: number, loss: number | null) => void
  signal?: AbortSignal
}

export type TrainOutcome = { weights: ArrayBuffer; loss: number | null; elapsedMs: number }

/** Yield to the event loop this often so cancel messages and sockets are served mid-task. */
export const YIELD_EVERY_MS = 25

export async function runTrainTask(task: TrainTask, weightsPack: ArrayBuffer, dataPack: ArrayBuffer, opts: TrainOptions = {}): Promise<TrainOutcome> {
  const started = performance.now()
  const { model: spec, hyper } = task
  const { x, y, rows } = readShard(task, unpackTensors(dataPack))
  const initial = unpackTensors(weightsPack)
  const classWeights = checkClassWeights(task)
  opts.signal?.throwIfAborted()

  const model = buildModel(spec, hyper.seed)
  const optimizer = makeOptimizer(hyper)
  const owned: tf.Tensor[] = []
  try {
    writeWeights(model, initial)
    const xs = tf.tensor2d(x.data, [rows, spec.inputSize])
    const ys = tf.tensor2d(y.data, [rows, spec.outputSize])
    owned.push(xs, ys)
    const cw = classWeights ? tf.tensor1d(classWeights) : undefined
    if (cw) owned.push(cw)
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const rand = mulberry32(hyper.seed)
    const dropoutRand = mulberry32(hyper.seed ^ 0x5bd1e995)
    const batchSize = Math.min(hyper.batchSize, rows)
    const batchesPerPass = Math.ceil(rows / batchSize)
    const totalBatches = hyper.localSteps ?? batchesPerPass * hyper.localEpochs

    let order = permutation(rows, rand)
    let b = 0
    let lossSum = 0
    let seen = 0
    let lastLoss: number | null = null
    let lastYield = performance.now()
    for (let done = 0; done < totalBatches; ) {
      opts.signal?.throwIfAborted()
      if (b === batchesPerPass) {
        order = permutation(rows, rand)
        b = 0
        lossSum = 0
        seen = 0
      }
      const idx = order.subarray(b * batchSize, Math.min(rows, (b + 1) * batchSize))
      b++
      reseedDropout(model, dropoutRand)
      const cost = tf.tidy(() => {
        const indices = tf.tensor1d(idx, 'int32')
        const xb = toModelInput(tf.gather(xs, indices), model)
        const yb = tf.gather(ys, indices)
        const lossFn = () => perExampleLoss(spec.task, yb, model.apply(xb, { training: true }) as tf.Tensor, cw).mean() as tf.Scalar
        return optimizer.minimize(lossFn, true, vars) as tf.Scalar // returnCost=true: never null
      })
      const value = (await cost.data())[0]
      cost.dispose()
      lossSum += value * idx.length
      seen += idx.length
      done++
      lastLoss = finiteOrNull(lossSum / seen)
      opts.onProgress?.(done / totalBatches, lastLoss)
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0))
        lastYield = performance.now()
      }
    }
    opts.signal?.throwIfAborted()
    const weights = packTensors(await readWeightsAsync(model))
    return { weights, loss: lastLoss, elapsedMs: performance.now() - started }
  } finally {
    tf.dispose(owned)
    disposeOptimizer(optimizer)
    model.dispose()
  }
}

/** Class weights apply to classification only and need one weight per class. */
function checkClassWeights(task: TrainTask): number[] | undefined {
  const w = task.hyper.classWeights
  if (!w || task.model.task !== 'classification') return undefined
  if (w.length !== task.model.outputSize) {
    throw new NimbleError({ code: 'bad_request', field: 'hyper.classWeights', message: `classWeights has ${w.length} entries but the model has ${task.model.outputSize} classes` })
  }
  return w
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null
}
