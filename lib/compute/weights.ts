/**
 * Moves weights between a tfjs model and NamedTensors (plain Float32Arrays), the form
 * they travel in. Names are tfjs's original variable names (`dense_0/kernel`), not the
 * uniquified ones (`dense_0/kernel_7`) tfjs gives when many models live in one process.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, type ModelSpec, type NamedTensor } from '../protocol'
import { buildModel } from './build-model'

/** The model's weights, synchronously: fine on cpu and wasm; use readWeightsAsync on webgpu. */
export function readWeights(model: tf.LayersModel): NamedTensor[] {
  return model.weights.map((w) => {
    const value = w.read()
    return { name: w.originalName, shape: [...value.shape], data: Float32Array.from(value.dataSync() as Float32Array) }
  })
}

/**
 * Like readWeights, but reads back asynchronously: GPU backends need this (a synchronous
 * read from WebGPU stalls, and in Node it fails for want of an OffscreenCanvas).
 */
export async function readWeightsAsync(model: tf.LayersModel): Promise<NamedTensor[]> {
  return Promise.all(
    model.weights.map(async (w) => {
      const value = w.read()
      return { name: w.originalName, shape: [...value.shape], data: Float32Array.from((await value.data()) as Float32Array) }
    }),
  )
}

/** Sets every weight of `model` from `tensors` (matched by name). Throws NimbleError('invalid_model') on any mismatch. */
export function writeWeights(model: tf.LayersModel, tensors: NamedTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  if (byName.size !== tensors.length) throw invalid('weights contain a duplicate name')
  if (tensors.length !== model.weights.length) {
    throw invalid(`expected ${model.weights.length} weight tensors (${model.weights.map((w) => w.originalName).join(', ')}), got ${tensors.length}`)
  }
  const values = model.weights.map((w) => {
    const t = byName.get(w.originalName)
    if (!t) throw invalid(`weight ${w.originalName} is missing (got ${tensors.map((x) => x.name).join(', ')})`, w.originalName)
    if (!sameShape(t.shape, w.shape)) throw invalid(`weight ${w.originalName} has shape [${t.shape}], expected [${w.shape}]`, w.originalName)
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw invalid(`weight ${t.name} holds ${t.data.length} values for shape [${t.shape}]`, t.name)
    return tf.tensor(t.data, t.shape, 'float32')
  })
  try {
    model.setWeights(values)
  } finally {
    tf.dispose(values)
  }
}

/** Round-0 weights for a spec: deterministic for a given seed. */
export function initialWeights(spec: ModelSpec, seed: number): NamedTensor[] {
  const model = buildModel(spec, seed)
  try {
    return readWeights(model)
  } finally {
    model.dispose()
  }
}

function sameShape(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_model', message: `${message}; the weights do not fit this model spec`, field })
}
