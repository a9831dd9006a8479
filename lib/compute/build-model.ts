/**
 * Builds the tfjs Layers model a ModelSpec describes, synchronously (the coordinator evaluates
 * and exports without awaiting). Built-in layer names are fixed (dense_0, conv_0, …) so weights
 * line up by name between the coordinator, every device and the exported model.json; initial
 * weights are seeded so every party can rebuild round 0 exactly.
 *
 * Input rule (see lib/model/shapes.ts): the model takes `modelInputShape(spec)` per example
 * ([inputSize] for dense templates, [h, w, c] for cnn, the topology's own shape for custom);
 * callers reshape the flat rows of a data pack with `toModelInput`.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, type ModelSpec } from '../protocol'
import { layerPlan, modelInputShape, type LayerPlan } from '../model/shapes'
import { buildCustomModel } from './custom-model'
import { layerSeed } from './prng'

export { layerSeed }

export function buildModel(spec: ModelSpec, seed = 0): tf.LayersModel {
  if (spec.template === 'custom') {
    if (!spec.topology) throw new NimbleError({ code: 'invalid_model', message: 'a custom model spec needs its topology' })
    const model = buildCustomModel(spec.topology, seed)
    try {
      checkCustomFitsSpec(model, spec)
    } catch (e) {
      model.dispose()
      throw e
    }
    return model
  }
  const inputShape = modelInputShape(spec)
  const model = tf.sequential({ name: 'nimble' })
  let weighted = 0
  layerPlan(spec).forEach((layer, i) => {
    const first = i === 0 ? { inputShape } : {}
    model.add(makeLayer(layer, first, () => layerSeed(seed, weighted++)))
  })
  return model
}

function makeLayer(layer: LayerPlan, first: { inputShape?: number[] }, nextSeed: () => number): tf.layers.Layer {
  switch (layer.kind) {
    case 'dense':
      return tf.layers.dense({
        ...first,
        name: layer.name,
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
        biasInitializer: 'zeros',
      })
    case 'conv':
      return tf.layers.conv2d({
        ...first,
        name: layer.name,
        filters: layer.filters,
        kernelSize: layer.kernel,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
        biasInitializer: 'zeros',
      })
    case 'pool':
      return tf.layers.maxPooling2d({ ...first, name: layer.name, poolSize: layer.size })
    case 'flatten':
      return tf.layers.flatten({ ...first, name: layer.name })
    case 'dropout':
      // No seed here: a fixed seed would drop the same units on every step. Training sets one per step.
      return tf.layers.dropout({ ...first, name: layer.name, rate: layer.rate })
  }
}

/** A custom model must take spec.inputSize values per example and give spec.outputSize outputs. */
function checkCustomFitsSpec(model: tf.LayersModel, spec: ModelSpec): void {
  const input = model.inputs[0].shape.slice(1) as number[]
  const values = input.reduce((a, b) => a * b, 1)
  const units = model.outputs[0].shape[model.outputs[0].shape.length - 1]
  const bad = (message: string) => new NimbleError({ code: 'invalid_model', message })
  if (values !== spec.inputSize) throw bad(`the model takes input [${input}] (${values} values) but the data has ${spec.inputSize} features`)
  if (units !== spec.outputSize) throw bad(`the model has ${units} output units but the data has ${spec.outputSize} ${spec.task === 'regression' ? 'target' : 'classes'}`)
}
