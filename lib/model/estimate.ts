/**
 * Per-layer cost estimates, the partitioner's input: parameters, float32 weight bytes, shapes,
 * activation bytes and forward FLOPs of each layer, per example.
 *
 * - `estimateLayers(topology)`: an owner's tfjs Sequential topology. Shapes and parameters come
 *   from topology.ts (the same rules that accept uploads), so a layer it refuses is refused here
 *   with the same message (naming the layer and listing SUPPORTED_LAYERS).
 * - `estimateSpecLayers(spec)`: a built-in template, written as the topology build-model.ts builds
 *   (same layer names), then estimated as above.
 * - `estimateFromParams`: a synthetic uniform stack for planning models on paper.
 *
 * FLOPs count what topology.ts counts (multiply-adds of Dense and Conv2D, 2 per weight use), so the
 * layers sum to topologyCost's forwardFlopsPerRow; backward is about twice forward.
 */
import { NimbleError, type ModelSpec } from '../protocol'
import { layerPlan, modelInputShape } from './shapes'
import { normalizeTopology, topologyCost } from './topology'

export type LayerEstimate = {
  index: number
  name: string
  className: string
  /** All weights, including non-trainable ones (BatchNormalization's moving statistics). */
  params: number
  /** float32: 4 bytes per parameter. */
  weightBytes: number
  /** One example's input and output shapes (no batch dimension). */
  inputShape: number[]
  outputShape: number[]
  /** float32 bytes of one example's input: what a segment starting at this layer receives. */
  inputBytes: number
  /** float32 bytes of the tensor this layer writes per example; 0 for InputLayer, whose output is its input. */
  activationBytes: number
  /** Forward FLOPs per example. */
  flops: number
}

const F32 = 4

/** Estimates every layer of a tfjs Sequential topology. Throws NimbleError('invalid_model'). */
export function estimateLayers(topology: unknown): LayerEstimate[] {
  const { layers } = normalizeTopology(topology)
  const cost = topologyCost(topology)
  let input = cost.inputShape
  return cost.layers.map((layer, index) => {
    const out = layer.outputShape
    const estimate: LayerEstimate = {
      index,
      name: layer.name,
      className: layer.className,
      params: layer.params,
      weightBytes: F32 * layer.params,
      inputShape: input,
      outputShape: out,
      inputBytes: F32 * size(input),
      activationBytes: layer.className === 'InputLayer' ? 0 : F32 * size(out),
      flops: layerFlops(layer.className, layers[index].config, layer.params, input, out),
    }
    input = out
    return estimate
  })
}

/** Estimates a built-in template's layers (or a custom spec's topology). Throws NimbleError('invalid_model'). */
export function estimateSpecLayers(spec: ModelSpec): LayerEstimate[] {
  const inputShape = modelInputShape(spec) // validates the spec against its data
  if (spec.template === 'custom') return estimateLayers(spec.topology)
  const layers = layerPlan(spec).map((l): { class_name: string; config: Record<string, unknown> } => {
    if (l.kind === 'dense') return { class_name: 'Dense', config: { name: l.name, units: l.units, activation: l.activation } }
    if (l.kind === 'dropout') return { class_name: 'Dropout', config: { name: l.name, rate: l.rate } }
    if (l.kind === 'conv') return { class_name: 'Conv2D', config: { name: l.name, filters: l.filters, kernel_size: [l.kernel, l.kernel], padding: 'same', activation: 'relu' } }
    if (l.kind === 'pool') return { class_name: 'MaxPooling2D', config: { name: l.name, pool_size: [l.size, l.size], padding: 'valid' } }
    return { class_name: 'Flatten', config: { name: l.name } }
  })
  layers[0].config.batch_input_shape = [null, ...inputShape]
  return estimateLayers({ class_name: 'Sequential', config: { name: spec.template, layers } })
}

export type FromParamsOptions = {
  /** Total parameters, e.g. 100e9. */
  params: number
  /** Number of equal blocks (pipeline-cuttable units). */
  layers: number
  /** Width of the residual stream; default √(params per block / 12), a transformer block's 12·h² parameters. */
  hiddenSize?: number
  /** Positions per example (tokens); default 1, so an example ("row") is one position. */
  sequenceLength?: number
}

/**
 * A uniform stack for paper planning: `layers` transformer-ish blocks of params/layers parameters
 * each, modelled as Dense layers from [seq, hidden] to [seq, hidden]. Assumptions:
 * - forward FLOPs per example = 2 · block params · sequenceLength (each weight used once per
 *   position; attention's seq² term and embeddings are ignored);
 * - a block's input and output are its residual stream, hidden · sequenceLength float32 values;
 *   activations inside a block (attention scores, the 4·h MLP) are not counted, so activation
 *   memory is a lower bound, which matters only for long sequences or big micro-batches.
 */
export function estimateFromParams(opts: FromParamsOptions): LayerEstimate[] {
  const { params, layers } = opts
  if (!Number.isFinite(params) || params < 1) throw badRequest(`params must be a positive number, got ${params}`, 'params')
  if (!Number.isInteger(layers) || layers < 1) throw badRequest(`layers must be a positive integer, got ${layers}`, 'layers')
  if (layers > params) throw badRequest(`${layers} layers cannot share ${params} parameters`, 'layers')
  const total = Math.round(params)
  const base = Math.floor(total / layers)
  const hidden = opts.hiddenSize ?? Math.max(1, Math.round(Math.sqrt(base / 12)))
  const seq = opts.sequenceLength ?? 1
  if (!Number.isInteger(hidden) || hidden < 1) throw badRequest(`hiddenSize must be a positive integer, got ${hidden}`, 'hiddenSize')
  if (!Number.isInteger(seq) || seq < 1) throw badRequest(`sequenceLength must be a positive integer, got ${seq}`, 'sequenceLength')
  const bytes = F32 * hidden * seq
  return Array.from({ length: layers }, (_, index) => {
    const p = base + (index < total - base * layers ? 1 : 0) // spread the remainder over the first blocks
    return {
      index,
      name: `block_${index}`,
      className: 'Dense',
      params: p,
      weightBytes: F32 * p,
      inputShape: [seq, hidden],
      outputShape: [seq, hidden],
      inputBytes: bytes,
      activationBytes: bytes,
      flops: 2 * p * seq,
    }
  })
}

/** Mirrors topology.ts's FLOP rules, per layer: Dense 2·(weights)·positions, Conv2D 2·(kernel weights)·H·W. */
function layerFlops(className: string, config: Record<string, unknown>, params: number, input: number[], out: number[]): number {
  if (className === 'Dense') return 2 * params * size(input.slice(0, -1))
  if (className === 'Conv2D') {
    const bias = config.use_bias === false ? 0 : out[2]
    return 2 * (params - bias) * out[0] * out[1]
  }
  return 0
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

function badRequest(message: string, field: string): NimbleError {
  return new NimbleError({ code: 'bad_request', message, field })
}
