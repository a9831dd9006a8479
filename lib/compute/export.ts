/**
 * Exports trained weights (any template, custom included) as a standard tfjs Layers model:
 * a model.json plus one binary weights file, so anyone can `tf.loadLayersModel('<origin>/api/jobs/ID/model')` when the
 * coordinator serves the JSON there and the bytes at `<origin>/api/jobs/ID/model.weights.bin`
 * (tfjs resolves manifest paths against the JSON URL's directory). The loaded model takes
 * inputs of `modelInputShape(spec)` per example (cnn: [h, w, c]), not the flat data-pack rows.
 */
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec, NamedTensor } from '../protocol'
import { buildModel } from './build-model'
import { readWeights, writeWeights } from './weights'

export const WEIGHTS_FILE = 'model.weights.bin'

export type ExportedModel = { modelJson: ExportedModelJson; weightsBin: ArrayBuffer }

export type ExportedModelJson = {
  format: 'layers-model'
  generatedBy: string
  convertedBy: string
  modelTopology: object
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[]
  userDefinedMetadata?: object
}

export function exportLayersModel(spec: ModelSpec, weights: NamedTensor[], userDefinedMetadata?: object): ExportedModel {
  const model = buildModel(spec)
  try {
    writeWeights(model, weights) // validates names and shapes
    const ordered = readWeights(model)
    const total = ordered.reduce((n, t) => n + t.data.length, 0)
    const bin = new Float32Array(total)
    let offset = 0
    for (const t of ordered) {
      bin.set(t.data, offset)
      offset += t.data.length
    }
    const modelJson: ExportedModelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: 'Nimble',
      modelTopology: model.toJSON(null, false) as object,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: ordered.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })) }],
      ...(userDefinedMetadata ? { userDefinedMetadata } : {}),
    }
    return { modelJson, weightsBin: bin.buffer }
  } finally {
    model.dispose()
  }
}
