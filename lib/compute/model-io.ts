/**
 * The glue between flat data-pack rows and a built model: reshaping a batch to the model's own
 * input shape (the one input rule for every template, see lib/model/shapes.ts), sizing
 * prediction batches, and per-step dropout seeds for reproducible training.
 */
import * as tf from '@tensorflow/tfjs'

/** One example's input shape as the model declares it. */
export function inputShapeOf(model: tf.LayersModel): number[] {
  return model.inputs[0].shape.slice(1) as number[]
}

/** [batch, inputSize] → [batch, ...model input shape]. A no-op for dense models. */
export function toModelInput(x: tf.Tensor2D, model: tf.LayersModel): tf.Tensor {
  const shape = inputShapeOf(model)
  return shape.length === 1 ? x : tf.reshape(x, [x.shape[0], ...shape])
}

/** The widest layer output per example (input included): sizes prediction batches. */
export function widestActivation(model: tf.LayersModel): number {
  let widest = inputShapeOf(model).reduce((a, b) => a * b, 1)
  for (const layer of model.layers) {
    const shape = layer.outputShape as (number | null)[]
    widest = Math.max(widest, shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1))
  }
  return widest
}

/**
 * tfjs Dropout uses its `seed` for every call, so a fixed seed would drop the same units on
 * every step and no seed would make tasks irreproducible. Before each step we give every
 * Dropout layer a fresh seed from the task's own generator (the field is tfjs-internal).
 */
export function reseedDropout(model: tf.LayersModel, rand: () => number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed?: number }).seed = Math.floor(rand() * 2 ** 31)
  }
}
