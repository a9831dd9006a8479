/**
 * Evaluation and prediction with given weights, for every template and both tasks: the
 * coordinator's own metrics after each round (it never trusts devices' figures) and the
 * prediction API. Inputs are flat rows [rows, inputSize], reshaped to the model's input
 * shape batch by batch, so a large set never needs one huge activation tensor.
 * Synchronous (dataSync): meant for the cpu and wasm backends the coordinator runs.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, type ModelSpec, type NamedTensor } from '../protocol'
import { perExampleLoss } from './loss'
import { modelWithWeights } from './model-cache'
import { toModelInput, widestActivation } from './model-io'

/** About 4 MiB of float32 per activation tensor per batch. */
const BATCH_VALUES = 1 << 20

/** `accuracy` is null for regression. */
export type Evaluation = { loss: number; accuracy: number | null }

/**
 * Mean loss over `rows` rows (x [rows, inputSize]; y one-hot [rows, classes] or the target [rows, 1]):
 * unweighted categorical cross-entropy and accuracy for classification, mean squared error for regression.
 */
export function evaluate(spec: ModelSpec, weights: NamedTensor[], x: Float32Array, y: Float32Array, rows: number): Evaluation {
  checkInput(x, rows, 'x', spec.inputSize)
  checkInput(y, rows, 'y', spec.outputSize)
  if (rows === 0) throw new NimbleError({ code: 'bad_request', message: 'cannot evaluate on zero rows; hold out at least one row' })
  const model = modelWithWeights(spec, weights)
  const classification = spec.task === 'classification'
  let lossSum = 0
  let correct = 0
  forEachBatch(model, rows, (start, count) => {
    const [loss, hits] = tf.tidy(() => {
      const xb = toModelInput(tf.tensor2d(x.subarray(start * spec.inputSize, (start + count) * spec.inputSize), [count, spec.inputSize]), model)
      const yb = tf.tensor2d(y.subarray(start * spec.outputSize, (start + count) * spec.outputSize), [count, spec.outputSize])
      const out = model.predict(xb) as tf.Tensor
      const sum = perExampleLoss(spec.task, yb, out).sum().dataSync()[0]
      return [sum, classification ? tf.equal(tf.argMax(out, 1), tf.argMax(yb, 1)).sum().dataSync()[0] : 0]
    })
    lossSum += loss
    correct += hits
  })
  return { loss: lossSum / rows, accuracy: classification ? correct / rows : null }
}

/** The model's outputs, row-major [rows, outputSize]: class probabilities, or the predicted value for regression. */
export function predictOutputs(spec: ModelSpec, weights: NamedTensor[], x: Float32Array, rows: number): Float32Array {
  checkInput(x, rows, 'x', spec.inputSize)
  const out = new Float32Array(rows * spec.outputSize)
  if (rows === 0) return out
  const model = modelWithWeights(spec, weights)
  forEachBatch(model, rows, (start, count) => {
    const values = tf.tidy(() => {
      const xb = toModelInput(tf.tensor2d(x.subarray(start * spec.inputSize, (start + count) * spec.inputSize), [count, spec.inputSize]), model)
      return (model.predict(xb) as tf.Tensor).dataSync()
    })
    out.set(values, start * spec.outputSize)
  })
  return out
}

/** Class probabilities [rows, classes]; for regression models the same as predictOutputs (the values). */
export const predictProba = predictOutputs

function forEachBatch(model: tf.LayersModel, rows: number, fn: (start: number, count: number) => void): void {
  const batch = Math.max(1, Math.floor(BATCH_VALUES / widestActivation(model)))
  for (let start = 0; start < rows; start += batch) fn(start, Math.min(batch, rows - start))
}

function checkInput(values: Float32Array, rows: number, name: string, width: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new NimbleError({ code: 'bad_request', message: `rows must be a non-negative integer, got ${rows}` })
  if (values.length !== rows * width) {
    throw new NimbleError({ code: 'bad_request', message: `${name} holds ${values.length} values; ${rows} rows of ${width} need ${rows * width}`, field: name })
  }
}
