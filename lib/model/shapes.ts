/**
 * The layers, weight shapes, parameter counts and FLOP/memory estimates of a ModelSpec, without tfjs.
 *
 * The coordinator plans, credits and validates with these figures, so they must match exactly
 * what lib/compute/build-model.ts builds: layers named dense_i, conv_i, pool_i, dropout_i,
 * flatten; weights listed in model.getWeights() order and named as tfjs names them
 * (`dense_0/kernel`). Custom models' weights are only known to tfjs (inspectTopology in
 * lib/compute/custom-model.ts); their costs come from lib/model/topology.ts.
 *
 * Input rule: a data pack's `x` is always flat [rows, inputSize]; devices reshape each batch to
 * `modelInputShape(spec)`: [inputSize] for logistic/linear/mlp, [h, w, c] for cnn, and the
 * topology's own input shape for custom.
 */
import { NimbleError, type ModelSpec } from '../protocol'
import { topologyCost } from './topology'

export type WeightShape = { name: string; shape: number[] }

export type OutputActivation = 'softmax' | 'linear'
export type LayerPlan =
  | { kind: 'dense'; name: string; units: number; activation: OutputActivation | ModelSpec['activation'] | 'relu' }
  | { kind: 'dropout'; name: string; rate: number }
  | { kind: 'conv'; name: string; filters: number; kernel: number }
  | { kind: 'pool'; name: string; size: number }
  | { kind: 'flatten'; name: string }

/** Parameters, forward FLOPs and activation values per example: what planning needs. */
export type ModelCost = { params: number; forwardFlopsPerRow: number; activationsPerRow: number }

export const CNN_KERNEL = 3
export const CNN_POOL = 2
export const CNN_DENSE_UNITS = 64

/** The layers of a built-in template, input to output. Throws for `custom`. */
export function layerPlan(spec: ModelSpec): LayerPlan[] {
  if (spec.template === 'custom') throw customError('layerPlan')
  if (spec.task === 'regression' && spec.outputSize !== 1) throw invalid(`a regression model has one output, but outputSize is ${spec.outputSize}`)
  const output = (i: number): LayerPlan =>
    spec.task === 'regression'
      ? { kind: 'dense', name: `dense_${i}`, units: 1, activation: 'linear' }
      : { kind: 'dense', name: `dense_${i}`, units: spec.outputSize, activation: 'softmax' }
  const dropout = (i: number): LayerPlan[] => (spec.dropout > 0 ? [{ kind: 'dropout', name: `dropout_${i}`, rate: spec.dropout }] : [])

  if (spec.template === 'cnn') {
    imageShape(spec) // validates
    const blocks = spec.filters.flatMap((filters, i): LayerPlan[] => [
      { kind: 'conv', name: `conv_${i}`, filters, kernel: CNN_KERNEL },
      { kind: 'pool', name: `pool_${i}`, size: CNN_POOL },
    ])
    return [...blocks, { kind: 'flatten', name: 'flatten' }, { kind: 'dense', name: 'dense_0', units: spec.hidden[0] ?? CNN_DENSE_UNITS, activation: 'relu' }, ...dropout(0), output(1)]
  }
  // logistic and linear ignore `hidden`; the task picks softmax or a single linear unit.
  const hidden = spec.template === 'mlp' ? spec.hidden : []
  const layers = hidden.flatMap((units, i): LayerPlan[] => [{ kind: 'dense', name: `dense_${i}`, units, activation: spec.activation }, ...dropout(i)])
  return [...layers, output(hidden.length)]
}

/** The shape one example has when it enters the model (see the input rule above). */
export function modelInputShape(spec: ModelSpec): number[] {
  if (spec.template === 'cnn') return imageShape(spec)
  if (spec.template === 'custom') {
    if (!spec.topology) throw invalid('a custom model needs its topology')
    const shape = topologyCost(spec.topology).inputShape
    if (size(shape) !== spec.inputSize) throw invalid(`the model takes input [${shape}] (${size(shape)} values) but the data has ${spec.inputSize} features`)
    return shape
  }
  return [spec.inputSize]
}

/** cnn: [height, width, channels]; a 2-D inputShape means one channel. */
export function imageShape(spec: ModelSpec): number[] {
  const s = spec.inputShape
  const shape = s.length === 3 ? [...s] : s.length === 2 ? [s[0], s[1], 1] : null
  if (!shape) throw invalid(`the cnn template needs an image inputShape [height, width, channels], got [${s}]; use mlp for tables`)
  if (size(shape) !== spec.inputSize) throw invalid(`inputShape [${s}] holds ${size(shape)} values but inputSize is ${spec.inputSize}`)
  return shape
}

type Walked = { layer: LayerPlan; out: number[]; weights: WeightShape[]; flops: number }

/** Every layer with its output shape (no batch dimension), weights and forward FLOPs per example. */
function walk(spec: ModelSpec): Walked[] {
  let shape = modelInputShape(spec)
  return layerPlan(spec).map((layer) => {
    let out = shape
    let weights: WeightShape[] = []
    let flops = 0
    if (layer.kind === 'dense') {
      const fanIn = shape[shape.length - 1]
      out = [layer.units]
      weights = [
        { name: `${layer.name}/kernel`, shape: [fanIn, layer.units] },
        { name: `${layer.name}/bias`, shape: [layer.units] },
      ]
      flops = 2 * (fanIn * layer.units + layer.units)
    } else if (layer.kind === 'conv') {
      const [h, w, cin] = shape
      out = [h, w, layer.filters] // 'same' padding keeps height and width
      weights = [
        { name: `${layer.name}/kernel`, shape: [layer.kernel, layer.kernel, cin, layer.filters] },
        { name: `${layer.name}/bias`, shape: [layer.filters] },
      ]
      flops = 2 * layer.kernel * layer.kernel * cin * layer.filters * h * w
    } else if (layer.kind === 'pool') {
      out = [Math.floor(shape[0] / layer.size), Math.floor(shape[1] / layer.size), shape[2]]
      if (out[0] === 0 || out[1] === 0) {
        throw invalid(`a ${spec.inputShape.join('x')} image is too small for ${spec.filters.length} conv blocks: ${layer.name} would shrink [${shape}] to [${out}]`, 'filters')
      }
    } else if (layer.kind === 'flatten') {
      out = [size(shape)]
    }
    shape = out
    return { layer, out, weights, flops }
  })
}

/** The weights in model.getWeights() order: kernel then bias per layer. Throws for `custom`. */
export function weightShapes(spec: ModelSpec): WeightShape[] {
  if (spec.template === 'custom') throw customError('weightShapes')
  return walk(spec).flatMap((w) => w.weights)
}

/** Parameters, forward FLOPs and activations per example; custom models are costed from their topology. */
export function modelCost(spec: ModelSpec): ModelCost {
  if (spec.template === 'custom') {
    if (!spec.topology) throw invalid('a custom model needs its topology')
    const c = topologyCost(spec.topology)
    return { params: c.params, forwardFlopsPerRow: c.forwardFlopsPerRow, activationsPerRow: c.activationsPerRow }
  }
  const walked = walk(spec)
  return {
    params: walked.reduce((n, w) => n + w.weights.reduce((m, t) => m + size(t.shape), 0), 0),
    forwardFlopsPerRow: walked.reduce((n, w) => n + w.flops, 0),
    // flatten is a view; every other layer writes a new tensor
    activationsPerRow: spec.inputSize + walked.reduce((n, w) => n + (w.layer.kind === 'flatten' ? 0 : size(w.out)), 0),
  }
}

export function paramCount(spec: ModelSpec): number {
  return modelCost(spec).params
}

/** Dense: 2 FLOPs per parameter; conv: 2·k·k·cin·cout·H·W per layer. */
export function forwardFlops(spec: ModelSpec, rows: number): number {
  return modelCost(spec).forwardFlopsPerRow * rows
}

/** Forward plus backward (about twice the forward) per row per epoch: 6·P·N for dense models. */
export function trainFlops(spec: ModelSpec, rows: number, epochs: number): number {
  return 3 * modelCost(spec).forwardFlopsPerRow * rows * epochs
}

/**
 * Bytes a device needs to train one batch: weights, gradients and two Adam moments
 * (4 copies of the parameters), plus forward activations and their gradients for the
 * batch, all float32. An estimate for matching, not a guarantee.
 */
export function trainMemoryBytes(spec: ModelSpec, batchSize: number): number {
  const cost = modelCost(spec)
  return 4 * (4 * cost.params + 2 * cost.activationsPerRow * batchSize)
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

function customError(fn: string): NimbleError {
  return invalid(`${fn} cannot list a custom model's layers without tfjs; use inspectTopology(spec.topology).weightShapes from lib/compute/custom-model.ts`)
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_model', message, field })
}
