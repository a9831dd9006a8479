/**
 * Runs one inference task on a device: builds the model (any template), loads the job's
 * weights and predicts every row of the shard in batches, reading results back
 * asynchronously (GPU-friendly) and yielding between batches so cancels are served.
 * Returns a tensor pack with `y` [rows, outputSize]: class probabilities for
 * classification, the predicted value for regression.
 */
import * as tf from '@tensorflow/tfjs'
import { packTensors, unpackTensors, type InferTask } from '../protocol'
import { buildModel } from './build-model'
import { toModelInput, widestActivation } from './model-io'
import { readInputs } from './shard'
import { YIELD_EVERY_MS } from './train'
import { writeWeights } from './weights'

export type InferOptions = {
  /** Called after every batch with the fraction of rows done (loss is always null). */
  onProgress?: (fraction: number, loss: null) => void
  signal?: AbortSignal
}

export type InferOutcome = { output: ArrayBuffer; elapsedMs: number }

/** About 4 MiB of float32 per activation tensor per batch. */
const BATCH_VALUES = 1 << 20

export async function runInferTask(task: InferTask, weightsPack: ArrayBuffer, dataPack: ArrayBuffer, opts: InferOptions = {}): Promise<InferOutcome> {
  const started = performance.now()
  const { model: spec } = task
  const { x, rows } = readInputs(task, unpackTensors(dataPack))
  const weights = unpackTensors(weightsPack)
  opts.signal?.throwIfAborted()

  const model = buildModel(spec)
  try {
    writeWeights(model, weights)
    const out = new Float32Array(rows * spec.outputSize)
    const batch = Math.max(1, Math.floor(BATCH_VALUES / widestActivation(model)))
    let lastYield = performance.now()
    for (let start = 0; start < rows; start += batch) {
      opts.signal?.throwIfAborted()
      const end = Math.min(rows, start + batch)
      const y = tf.tidy(() => {
        const xb = tf.tensor2d(x.data.subarray(start * spec.inputSize, end * spec.inputSize), [end - start, spec.inputSize])
        return model.predict(toModelInput(xb, model)) as tf.Tensor
      })
      try {
        out.set((await y.data()) as Float32Array, start * spec.outputSize)
      } finally {
        y.dispose()
      }
      opts.onProgress?.(end / rows, null)
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0))
        lastYield = performance.now()
      }
    }
    opts.signal?.throwIfAborted()
    const output = packTensors([{ name: 'y', shape: [rows, spec.outputSize], data: out }])
    return { output, elapsedMs: performance.now() - started }
  } finally {
    model.dispose()
  }
}
