/**
 * Keeps a few built models per spec, so repeated evaluation and prediction (every round,
 * every API call) do not rebuild the same graph. Weights are overwritten on each use;
 * the least recently used model is disposed once the cache is full.
 */
import type * as tf from '@tensorflow/tfjs'
import type { ModelSpec, NamedTensor } from '../protocol'
import { buildModel } from './build-model'
import { writeWeights } from './weights'

const MAX_MODELS = 4
const cache = new Map<string, tf.LayersModel>()

/** A model for `spec` holding `weights`. Owned by the cache: do not dispose it. */
export function modelWithWeights(spec: ModelSpec, weights: NamedTensor[]): tf.LayersModel {
  const key = JSON.stringify(spec) // the whole spec: any field (dropout, filters, topology…) can change the graph
  let model = cache.get(key)
  if (model) {
    cache.delete(key) // re-insert below: Map order is our LRU order
  } else {
    model = buildModel(spec)
    if (cache.size >= MAX_MODELS) {
      const [oldestKey, oldest] = cache.entries().next().value as [string, tf.LayersModel]
      cache.delete(oldestKey)
      oldest.dispose()
    }
  }
  cache.set(key, model)
  writeWeights(model, weights)
  return model
}

/** Disposes every cached model (tests, or before switching backends). */
export function clearModelCache(): void {
  for (const model of cache.values()) model.dispose()
  cache.clear()
}
