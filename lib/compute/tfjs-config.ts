/**
 * Turns a model.json topology (snake_case, as Keras and tfjs write it) into the camelCase
 * config tfjs's fromConfig methods take, so a custom model can be built synchronously.
 * tfjs only does this inside the async `tf.models.modelFromJSON`; this mirrors its private
 * `convertPythonicToTs` (tfjs-layers utils/serialization_utils, MIT licence) for the
 * Sequential topologies lib/model/topology.ts accepts.
 *
 * `seedInitializers` makes random initializers deterministic, so every party that builds a
 * custom model with the same seed gets the same round-0 weights (as for built-in templates).
 */
import type { SequentialTopology } from '../model/topology'
import { layerSeed } from './prng'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const RANDOM_INITIALIZERS = new Set([
  'VarianceScaling',
  'GlorotUniform',
  'GlorotNormal',
  'HeUniform',
  'HeNormal',
  'LeCunUniform',
  'LeCunNormal',
  'RandomUniform',
  'RandomNormal',
  'TruncatedNormal',
  'Orthogonal',
])

/** snake_case → camelCase, exactly as tfjs's toCamelCase. */
export function toCamelCase(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier
  return identifier.replace(/[_]+(\w|$)/g, (_m, p1: string) => p1.toUpperCase())
}

/** Keys and string values are camel-cased, except `name` values (layer and model names stay as written). */
export function pythonicToTs(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return toCamelCase(value)
  if (typeof value === 'number' || typeof value === 'boolean') return value
  if (Array.isArray(value)) return value.map((v) => pythonicToTs(v))
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'name' && typeof v === 'string') out[key] = v
    else out[toCamelCase(key)] = pythonicToTs(v)
  }
  return out
}

/** A copy of the topology whose random initializers carry seeds derived from `seed`. */
export function seedInitializers(topology: SequentialTopology, seed: number): SequentialTopology {
  const copy = structuredClone(topology)
  let k = 0
  for (const layer of copy.config.layers) {
    for (const [key, init] of Object.entries(layer.config)) {
      if (!key.endsWith('_initializer') || typeof init !== 'object' || init === null || Array.isArray(init)) continue
      const i = init as { class_name?: Json; config?: Json }
      if (typeof i.class_name !== 'string' || !RANDOM_INITIALIZERS.has(i.class_name)) continue
      i.config = { ...(typeof i.config === 'object' && i.config !== null && !Array.isArray(i.config) ? i.config : {}), seed: layerSeed(seed, k++) }
    }
  }
  return copy
}
