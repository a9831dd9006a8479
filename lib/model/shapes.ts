/**
 * Weight shapes, parameter counts and FLOP/memory estimates of a ModelSpec, without tfjs.
 *
 * The coordinator plans, credits and validates with these figures, so they must match
 * exactly what lib/compute/build-model.ts builds: Dense layers named dense_0, dense_1, …,
 * weights listed in model.getWeights() order, named as tfjs names them (`dense_0/kernel`).
 */
import type { ModelSpec } from '../protocol'

export type WeightShape = { name: string; shape: number[] }

export type DenseLayerPlan = { name: string; units: number; activation: 'softmax' | ModelSpec['activation'] }

/** The Dense layers the spec describes, input to output. `logistic` ignores `hidden`. */
export function denseLayers(spec: ModelSpec): DenseLayerPlan[] {
  const hidden = spec.template === 'mlp' ? spec.hidden : []
  const layers: DenseLayerPlan[] = hidden.map((units, i) => ({ name: `dense_${i}`, units, activation: spec.activation }))
  layers.push({ name: `dense_${hidden.length}`, units: spec.outputSize, activation: 'softmax' })
  return layers
}

/** The weights in model.getWeights() order: kernel then bias for each layer. */
export function weightShapes(spec: ModelSpec): WeightShape[] {
  const out: WeightShape[] = []
  let fanIn = spec.inputSize
  for (const layer of denseLayers(spec)) {
    out.push({ name: `${layer.name}/kernel`, shape: [fanIn, layer.units] })
    out.push({ name: `${layer.name}/bias`, shape: [layer.units] })
    fanIn = layer.units
  }
  return out
}

export function paramCount(spec: ModelSpec): number {
  return weightShapes(spec).reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0)
}

/** Multiply-adds count twice: about 2 FLOPs per parameter per row for a forward pass. */
export function forwardFlops(spec: ModelSpec, rows: number): number {
  return 2 * paramCount(spec) * rows
}

/** Forward plus backward (about twice the forward) per row per epoch: the usual 6·P·N rule. */
export function trainFlops(spec: ModelSpec, rows: number, epochs: number): number {
  return 6 * paramCount(spec) * rows * epochs
}

/**
 * Bytes a device needs to train one batch: weights, gradients and two Adam moments
 * (4 copies of the parameters), plus forward activations and their gradients for the
 * batch, all float32. An estimate for matching, not a guarantee.
 */
export function trainMemoryBytes(spec: ModelSpec, batchSize: number): number {
  const widths = [spec.inputSize, ...denseLayers(spec).map((l) => l.units)]
  const activations = widths.reduce((a, b) => a + b, 0) * batchSize
  return 4 * (4 * paramCount(spec) + 2 * activations)
}
