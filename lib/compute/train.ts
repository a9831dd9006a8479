/**
 * Runs one training task: the device-side half of a FedAvg round. Builds the model,
 * loads the round's weights, trains `hyper.localEpochs` passes over the shard in a
 * seeded batch order, and returns the updated weights as a tensor pack.
 *
 * A manual batch loop (not model.fit) so that progress is reported after every batch,
 * an AbortSignal is honoured between batches, and the shuffle is our own seeded one.
 * Every tensor the task creates is disposed before it returns or throws.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, packTensors, unpackTensors, type NamedTensor, type TrainTask } from '../protocol'
import { buildModel } from './build-model'
import { mulberry32, permutation } from './prng'
import { readWeightsAsync, writeWeights } from './weights'

export type TrainOptions = {
  /** Called after every batch with the fraction done and the running mean loss of the current epoch. */
  onProgress?: (fraction: number, loss: number | null) => void
  signal?: AbortSignal
}

export type TrainOutcome = { weights: ArrayBuffer; loss: number | null; elapsedMs: number }

/** Yield to the event loop this often so cancel messages and sockets are served mid-task. */
const YIELD_EVERY_MS = 25

export async function runTrainTask(task: TrainTask, weightsPack: ArrayBuffer, dataPack: ArrayBuffer, opts: TrainOptions = {}): Promise<TrainOutcome> {
  const started = performance.now()
  const { model: spec, hyper } = task
  const { x, y, rows } = readShard(task, unpackTensors(dataPack))
  const initial = unpackTensors(weightsPack)
  opts.signal?.throwIfAborted()

  const model = buildModel(spec, hyper.seed)
  const optimizer = hyper.optimizer === 'adam' ? tf.train.adam(hyper.learningRate) : tf.train.sgd(hyper.learningRate)
  let xs: tf.Tensor2D | undefined
  let ys: tf.Tensor2D | undefined
  try {
    writeWeights(model, initial)
    xs = tf.tensor2d(x.data, [rows, spec.inputSize])
    ys = tf.tensor2d(y.data, [rows, spec.outputSize])
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const rand = mulberry32(hyper.seed)
    const batchSize = Math.min(hyper.batchSize, rows)
    const batchesPerEpoch = Math.ceil(rows / batchSize)
    const totalBatches = batchesPerEpoch * hyper.localEpochs
    let done = 0
    let lastLoss: number | null = null
    let lastYield = performance.now()

    for (let epoch = 0; epoch < hyper.localEpochs; epoch++) {
      const order = permutation(rows, rand)
      let lossSum = 0
      let seen = 0
      for (let b = 0; b < batchesPerEpoch; b++) {
        opts.signal?.throwIfAborted()
        const idx = order.subarray(b * batchSize, Math.min(rows, (b + 1) * batchSize))
        const cost = tf.tidy(() => {
          const indices = tf.tensor1d(idx, 'int32')
          const xb = tf.gather(xs!, indices)
          const yb = tf.gather(ys!, indices)
          const lossFn = () => tf.metrics.categoricalCrossentropy(yb, model.apply(xb) as tf.Tensor).mean() as tf.Scalar
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
    }
    opts.signal?.throwIfAborted()
    const weights = packTensors(await readWeightsAsync(model))
    return { weights, loss: lastLoss, elapsedMs: performance.now() - started }
  } finally {
    xs?.dispose()
    ys?.dispose()
    optimizer.dispose()
    model.dispose()
  }
}

/** Finds and checks `x` [rows, inputSize] and `y` [rows, outputSize] in a data pack. */
export function readShard(task: Pick<TrainTask, 'model' | 'rows'>, tensors: NamedTensor[]): { x: NamedTensor; y: NamedTensor; rows: number } {
  const x = tensors.find((t) => t.name === 'x')
  const y = tensors.find((t) => t.name === 'y')
  const bad = (message: string) => new NimbleError({ code: 'bad_request', message: `data shard: ${message}` })
  if (!x || !y) throw bad(`expected tensors x and y, found ${tensors.map((t) => t.name).join(', ') || 'none'}`)
  const { inputSize, outputSize } = task.model
  if (x.shape.length !== 2 || x.shape[1] !== inputSize) throw bad(`x has shape [${x.shape}], expected [rows, ${inputSize}]`)
  if (y.shape.length !== 2 || y.shape[1] !== outputSize) throw bad(`y has shape [${y.shape}], expected [rows, ${outputSize}]`)
  const rows = x.shape[0]
  if (y.shape[0] !== rows) throw bad(`x has ${rows} rows but y has ${y.shape[0]}`)
  if (rows !== task.rows) throw bad(`holds ${rows} rows but the task says ${task.rows}`)
  if (rows === 0) throw bad('is empty')
  return { x, y, rows }
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null
}
