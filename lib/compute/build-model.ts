/**
 * Builds the tfjs Layers model a ModelSpec describes. Layer names are fixed (dense_0, …)
 * so weights line up by name between the coordinator, every device and the exported
 * model.json; initial weights are seeded so every party can rebuild round 0 exactly.
 */
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec } from '../protocol'
import { denseLayers } from '../model/shapes'

/** Per-layer initializer seed: distinct layers must not draw the same random stream. */
export function layerSeed(seed: number, layerIndex: number): number {
  return (Math.imul(seed | 0, 0x9e3779b1) + 7919 * (layerIndex + 1)) >>> 0
}

export function buildModel(spec: ModelSpec, seed = 0): tf.Sequential {
  const model = tf.sequential({ name: 'nimble' })
  denseLayers(spec).forEach((layer, i) => {
    model.add(
      tf.layers.dense({
        name: layer.name,
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(seed, i) }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [spec.inputSize] } : {}),
      }),
    )
  })
  return model
}
