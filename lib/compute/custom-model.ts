/**
 * Owners' own models (tfjs Layers topologies): checked, costed and built.
 *
 * `inspectTopology` is what the coordinator runs on upload: the pure checks of
 * lib/model/topology.ts (supported layers, shapes, parameter limit, all before allocating
 * anything), then a real tfjs build for the authoritative weight names, shapes and count.
 * `checkModelFitsData` matches an accepted model against a dataset when a job is planned.
 * `buildCustomModel` is the synchronous builder lib/compute/build-model.ts uses for `custom`.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, type TaskType } from '../protocol'
import { normalizeTopology, topologyCost } from '../model/topology'
import { pythonicToTs, seedInitializers } from './tfjs-config'

export type TopologyInfo = {
  /** One example's input shape; flat data rows are reshaped to it. */
  inputShape: number[]
  outputUnits: number
  params: number
  layers: { className: string; name: string }[]
  /** In model.getWeights() order (trainable first, then e.g. BatchNormalization's moving statistics). */
  weightShapes: { name: string; shape: number[] }[]
  forwardFlopsPerRow: number
  /** The last layer's activation: classification needs `softmax`. */
  outputActivation: string
}

export type InspectOptions = { maxParams: number }

export function inspectTopology(topology: object, opts: InspectOptions): TopologyInfo {
  const cost = topologyCost(topology)
  if (cost.params > opts.maxParams) throw invalid(`the model has ${cost.params} parameters, over the limit of ${opts.maxParams}`)
  if (cost.outputShape.length !== 1) {
    throw invalid(`the model outputs shape [${cost.outputShape}] per example; it must output a vector (add Flatten or GlobalAveragePooling2D before the last Dense)`)
  }
  const model = buildCustomModel(topology, 0, true)
  try {
    const params = model.countParams()
    if (params > opts.maxParams) throw invalid(`the model has ${params} parameters, over the limit of ${opts.maxParams}`)
    return {
      inputShape: model.inputs[0].shape.slice(1) as number[],
      outputUnits: model.outputs[0].shape[1] as number,
      params,
      layers: model.layers.map((l) => ({ className: l.getClassName(), name: l.name })),
      weightShapes: model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[] })),
      forwardFlopsPerRow: cost.forwardFlopsPerRow,
      outputActivation: cost.outputActivation,
    }
  } finally {
    model.dispose()
  }
}

export type DataShape = { inputSize: number; inputShape?: number[]; outputSize: number; task: TaskType }

/** Throws NimbleError('invalid_model') when the model cannot train on the data as prepared. */
export function checkModelFitsData(info: Pick<TopologyInfo, 'inputShape' | 'outputUnits'> & { outputActivation?: string }, data: DataShape): void {
  const values = info.inputShape.reduce((a, b) => a * b, 1)
  if (values !== data.inputSize) {
    const shape = data.inputShape && data.inputShape.length > 1 ? ` (shape [${data.inputShape}])` : ''
    throw invalid(`the model takes input [${info.inputShape}] (${values} values) but the data has ${data.inputSize} features${shape}`, 'inputShape')
  }
  if (data.task === 'regression') {
    if (info.outputUnits !== 1) throw invalid(`a regression model needs exactly 1 output unit; this model has ${info.outputUnits}`, 'outputUnits')
    if (info.outputActivation === 'softmax') throw invalid('a softmax over one output unit is always 1; use a linear output for regression', 'outputActivation')
    return
  }
  if (info.outputUnits !== data.outputSize) {
    throw invalid(`the model has ${info.outputUnits} output units but the data has ${data.outputSize} classes`, 'outputUnits')
  }
  if (info.outputActivation !== undefined && info.outputActivation !== 'softmax') {
    throw invalid(`the model's output activation is ${info.outputActivation}; classification needs softmax probabilities (set activation "softmax" on the last layer)`, 'outputActivation')
  }
}

/**
 * Builds a checked topology synchronously. Random initializers are seeded from `seed`, so
 * round-0 weights are reproducible; `fastInit` skips initialisation when weights are set next.
 */
export function buildCustomModel(topology: unknown, seed = 0, fastInit = false): tf.Sequential {
  const { topology: normalized } = normalizeTopology(topology)
  const ts = pythonicToTs(seedInitializers(normalized, seed)) as { config: tf.serialization.ConfigDict }
  try {
    return tf.Sequential.fromConfig(tf.Sequential, ts.config, {}, fastInit) as tf.Sequential
  } catch (e) {
    throw invalid(`tfjs could not build the model: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 500)}`)
  }
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_model', message, field })
}
