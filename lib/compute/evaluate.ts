/**
 * Evaluation and prediction with given weights: the coordinator's own metrics after each
 * round (it never trusts devices' figures) and the prediction API. Inputs are processed
 * in row batches so a large test set never needs one huge activation tensor.
 * Synchronous (dataSync): meant for the cpu and wasm backends the coordinator runs.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, type ModelSpec, type NamedTensor } from '../protocol'
import { denseLayers } from '../model/shapes'
import { modelWithWeights } from './model-cache'

/** About 4 MiB of float32 per activation tensor per batch. */
const BATCH_VALUES = 1 << 20

export type Evaluation = { loss: number; accuracy: number }

/** Mean categorical cross-entropy and accuracy over `rows` rows (x row-major [rows, inputSize], y one-hot). */
export function evaluate(spec: ModelSpec, weights: NamedTensor[], x: Float32Array, y: Float32Array, rows: number): Evaluation {
  checkInput(x, rows, 'x', spec.inputSize)
  checkInput(y, rows, 'y', spec.outputSize)
  if (rows === 0) throw new NimbleError({ code: 'bad_request', message: 'cannot evaluate on zero rows; hold out at least one row' })
  const model = modelWithWeights(spec, weights)
  let lossSum = 0
  let correct = 0
  forEachBatch(spec, rows, (start, count) => {
    const [loss, hits] = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * spec.inputSize, (start + count) * spec.inputSize), [count, spec.inputSize])
      const yb = tf.tensor2d(y.subarray(start * spec.outputSize, (start + count) * spec.outputSize), [count, spec.outputSize])
      const probs = model.predict(xb) as tf.Tensor2D
      const ce = tf.metrics.categoricalCrossentropy(yb, probs).sum()
      const ok = tf.equal(tf.argMax(probs, 1), tf.argMax(yb, 1)).sum()
      return [ce.dataSync()[0], ok.dataSync()[0]]
    })
    lossSum += loss
    correct += hits
  })
  return { loss: lossSum / rows, accuracy: correct / rows }
}

/** Class probabilities, row-major [rows, outputSize]. */
export function predictProba(spec: ModelSpec, weights: NamedTensor[], x: Float32Array, rows: number): Float32Array {
  checkInput(x, rows, 'x', spec.inputSize)
  const out = new Float32Array(rows * spec.outputSize)
  if (rows === 0) return out
  const model = modelWithWeights(spec, weights)
  forEachBatch(spec, rows, (start, count) => {
    const probs = tf.tidy(() => {
      const xb = tf.tensor2d(x.subarray(start * spec.inputSize, (start + count) * spec.inputSize), [count, spec.inputSize])
      return (model.predict(xb) as tf.Tensor).dataSync()
    })
    out.set(probs, start * spec.outputSize)
  })
  return out
}

function forEachBatch(spec: ModelSpec, rows: number, fn: (start: number, count: number) => void): void {
  const widest = Math.max(spec.inputSize, ...denseLayers(spec).map((l) => l.units))
  const batch = Math.max(1, Math.floor(BATCH_VALUES / widest))
  for (let start = 0; start < rows; start += batch) fn(start, Math.min(batch, rows - start))
}

function checkInput(values: Float32Array, rows: number, name: string, width: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new NimbleError({ code: 'bad_request', message: `rows must be a non-negative integer, got ${rows}` })
  if (values.length !== rows * width) {
    throw new NimbleError({ code: 'bad_request', message: `${name} holds ${values.length} values; ${rows} rows of ${width} need ${rows * width}`, field: name })
  }
}
