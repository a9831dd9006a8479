/**
 * Reads an owner's tfjs Layers topology (model.json's `modelTopology`, snake_case keys) without
 * tfjs: checks it is a Sequential of layers Nimble can train, names unnamed layers so weight
 * names are stable on every machine, and normalises the input to `batch_input_shape: [null, …]`.
 *
 * The coordinator plans with `topologyCost` (parameters, FLOPs, activations) before anything is
 * allocated, so a 10-billion-parameter upload is refused without building it. Exact weight names
 * and shapes still come from tfjs (lib/compute/custom-model.ts), which builds what is accepted here.
 */
import { NimbleError } from '../protocol'

export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Dense',
  'Dropout',
  'Activation',
  'Flatten',
  'Reshape',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'BatchNormalization',
  'Embedding',
] as const

const MAX_LAYERS = 256

type Config = Record<string, unknown>
export type TopologyLayer = { className: string; name: string; config: Config }
/** A normalised Sequential topology, still in model.json's snake_case form. */
export type SequentialTopology = { class_name: 'Sequential'; config: { name: string; layers: { class_name: string; config: Config }[] } }

export type LayerCost = { className: string; name: string; outputShape: number[]; params: number }
export type TopologyCost = {
  /** One example's input shape (no batch dimension). */
  inputShape: number[]
  outputShape: number[]
  params: number
  /** Matrix-multiply and convolution FLOPs of one example's forward pass. */
  forwardFlopsPerRow: number
  /** Float32 values of all layer outputs for one example (input included). */
  activationsPerRow: number
  /** The activation of the output: `softmax`, `linear`, `sigmoid`, … */
  outputActivation: string
  layers: LayerCost[]
}

/** Unwraps, checks and normalises a topology; returns a fresh deep copy. Throws NimbleError('invalid_model'). */
export function normalizeTopology(topology: unknown): { topology: SequentialTopology; layers: TopologyLayer[] } {
  let t = asObject(topology, 'the model topology')
  if (isObject(t.modelTopology)) t = t.modelTopology as Config // a whole model.json
  if (isObject(t.model_config)) t = t.model_config as Config // Keras model.save() form
  const className = t.class_name
  if (typeof className !== 'string') throw invalid('the model topology has no class_name: expected a tfjs Layers modelTopology such as {"class_name":"Sequential","config":{…}}')
  if (className !== 'Sequential') {
    throw invalid(`the model is a ${className}; only Sequential models are supported (build it with tf.sequential() or keras.Sequential)`)
  }
  const config = t.config
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? (config as Config).layers : undefined
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) throw invalid('the Sequential topology has no layers')
  if (rawLayers.length > MAX_LAYERS) throw invalid(`the model has ${rawLayers.length} layers; at most ${MAX_LAYERS} are supported`)
  const modelName = isObject(config) && typeof (config as Config).name === 'string' ? ((config as Config).name as string) : 'sequential'

  const seen = new Set<string>()
  const layers: TopologyLayer[] = rawLayers.map((raw, i) => {
    const entry = asObject(raw, `layer ${i}`)
    const cls = entry.class_name
    if (typeof cls !== 'string') throw invalid(`layer ${i} has no class_name`)
    const layerConfig = structuredClone(asObject(entry.config ?? {}, `layer ${i} config`))
    const name = typeof layerConfig.name === 'string' && layerConfig.name !== '' ? layerConfig.name : `${snake(cls)}_${i}`
    if (!(SUPPORTED_LAYERS as readonly string[]).includes(cls)) {
      throw invalid(`layer ${name} is a ${cls}, which Nimble cannot train; supported layers: ${SUPPORTED_LAYERS.join(', ')}`, name)
    }
    if (seen.has(name)) throw invalid(`two layers are named ${name}; layer names must be unique`, name)
    seen.add(name)
    if (layerConfig.data_format === 'channels_first') throw invalid(`layer ${name} uses channels_first; only channels_last images are supported`, name)
    layerConfig.name = name
    return { className: cls, name, config: layerConfig }
  })

  const first = layers[0].config
  const dims = (first.batch_input_shape ?? first.batch_shape) as unknown
  const shape = Array.isArray(dims) ? dims.slice(1) : Array.isArray(first.input_shape) ? (first.input_shape as unknown[]) : null
  if (!shape) throw invalid(`the first layer (${layers[0].name}) does not declare the input shape: set batch_input_shape (or input_shape) on it`, layers[0].name)
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw invalid(`the input shape [${shape.map(String)}] must list fixed positive sizes (the batch dimension aside)`, layers[0].name)
  }
  for (const key of ['batch_shape', 'input_shape', 'batch_size']) delete first[key]
  first.batch_input_shape = [null, ...(shape as number[])]

  return {
    topology: { class_name: 'Sequential', config: { name: modelName, layers: layers.map((l) => ({ class_name: l.className, config: l.config })) } },
    layers,
  }
}

/** Shapes, parameters and FLOPs of a topology, layer by layer, mirroring tfjs's shape rules. */
export function topologyCost(topology: unknown): TopologyCost {
  const { layers } = normalizeTopology(topology)
  const inputShape = (layers[0].config.batch_input_shape as number[]).slice(1)
  let shape = [...inputShape]
  let params = 0
  let flops = 0
  let activations = size(shape)
  const costs: LayerCost[] = layers.map((layer) => {
    const step = layerStep(layer, shape)
    if (step.out.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw invalid(`layer ${layer.name} (${layer.className}) turns input [${shape}] into [${step.out}]; the input is too small for it`, layer.name)
    }
    params += step.params
    flops += step.flops
    if (layer.className !== 'InputLayer') activations += size(step.out)
    shape = step.out
    return { className: layer.className, name: layer.name, outputShape: step.out, params: step.params }
  })
  return { inputShape, outputShape: shape, params, forwardFlopsPerRow: flops, activationsPerRow: activations, outputActivation: outputActivation(layers), layers: costs }
}

type Step = { out: number[]; params: number; flops: number }

function layerStep(layer: TopologyLayer, input: number[]): Step {
  const c = layer.config
  const bias = (units: number) => (c.use_bias === false ? 0 : units)
  const same = (out: number[]): Step => ({ out, params: 0, flops: 0 })
  switch (layer.className) {
    case 'InputLayer':
    case 'Dropout':
    case 'Activation':
      return same(input)
    case 'Flatten':
      return same([size(input)])
    case 'Reshape':
      return same(reshape(layer, input))
    case 'Dense': {
      const units = positiveInt(c.units, layer, 'units')
      const fanIn = input[input.length - 1]
      const p = fanIn * units + bias(units)
      return { out: [...input.slice(0, -1), units], params: p, flops: 2 * p * size(input.slice(0, -1)) }
    }
    case 'Conv2D': {
      const [h, w, cin] = image(layer, input)
      const filters = positiveInt(c.filters, layer, 'filters')
      const [kh, kw] = pair(c.kernel_size, layer, 'kernel_size')
      const [sh, sw] = pair(c.strides ?? 1, layer, 'strides')
      const [dh, dw] = pair(c.dilation_rate ?? 1, layer, 'dilation_rate')
      const padding = c.padding === 'same' ? 'same' : 'valid'
      const out = [spatial(h, (kh - 1) * dh + 1, sh, padding), spatial(w, (kw - 1) * dw + 1, sw, padding), filters]
      return { out, params: kh * kw * cin * filters + bias(filters), flops: 2 * kh * kw * cin * filters * out[0] * out[1] }
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [h, w, ch] = image(layer, input)
      const [ph, pw] = pair(c.pool_size ?? 2, layer, 'pool_size')
      const [sh, sw] = c.strides == null ? [ph, pw] : pair(c.strides, layer, 'strides')
      const padding = c.padding === 'same' ? 'same' : 'valid'
      return same([spatial(h, ph, sh, padding), spatial(w, pw, sw, padding), ch])
    }
    case 'GlobalAveragePooling2D':
      return same([image(layer, input)[2]])
    case 'BatchNormalization': {
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1)
      if (!Number.isInteger(axis)) throw invalid(`layer ${layer.name}: BatchNormalization over several axes is not supported`, layer.name)
      const a = (axis as number) < 0 ? input.length + (axis as number) + 1 : (axis as number)
      const dim = input[a - 1] // config axes count the batch dimension
      if (dim === undefined) throw invalid(`layer ${layer.name}: axis ${axis} does not exist for input [${input}]`, layer.name)
      // tfjs trains BatchNormalization only with both gamma and beta (it reads them unconditionally).
      if (c.center === false || c.scale === false) throw invalid(`layer ${layer.name}: BatchNormalization needs center and scale on for training in tfjs`, layer.name)
      return { out: input, params: 4 * dim, flops: 0 } // gamma, beta, moving mean and variance
    }
    case 'Embedding': {
      const inputDim = positiveInt(c.input_dim, layer, 'input_dim')
      const outputDim = positiveInt(c.output_dim, layer, 'output_dim')
      return { out: [...input, outputDim], params: inputDim * outputDim, flops: 0 }
    }
    default:
      throw invalid(`layer ${layer.name} is a ${layer.className}, which Nimble cannot train`, layer.name)
  }
}

/** The output's activation: the last non-Dropout layer's, `linear` when it has none. */
function outputActivation(layers: TopologyLayer[]): string {
  const last = [...layers].reverse().find((l) => l.className !== 'Dropout')
  const act = last?.config.activation
  return typeof act === 'string' && ['Dense', 'Conv2D', 'Activation'].includes(last!.className) ? act : 'linear'
}

function reshape(layer: TopologyLayer, input: number[]): number[] {
  const target = layer.config.target_shape
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d === -1 || d > 0)) || target.filter((d) => d === -1).length > 1) {
    throw invalid(`layer ${layer.name}: target_shape must list positive sizes and at most one -1`, layer.name)
  }
  const known = size(target.filter((d) => d !== -1))
  const out = target.map((d) => (d === -1 ? size(input) / known : d))
  if (size(out) !== size(input)) throw invalid(`layer ${layer.name} cannot reshape [${input}] (${size(input)} values) into [${target}]`, layer.name)
  return out
}

function image(layer: TopologyLayer, input: number[]): number[] {
  if (input.length !== 3) throw invalid(`layer ${layer.name} (${layer.className}) needs an image input [height, width, channels], got [${input}]`, layer.name)
  return input
}

function spatial(n: number, k: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1
}

function pair(v: unknown, layer: TopologyLayer, key: string): [number, number] {
  const a = Array.isArray(v) ? v : [v, v]
  if (a.length !== 2 || !a.every((d) => Number.isInteger(d) && d > 0)) throw invalid(`layer ${layer.name}: ${key} must be a positive integer or a pair of them`, layer.name)
  return [a[0], a[1]]
}

function positiveInt(v: unknown, layer: TopologyLayer, key: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw invalid(`layer ${layer.name}: ${key} must be a positive integer`, layer.name)
  return v as number
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

function isObject(v: unknown): v is Config {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function asObject(v: unknown, what: string): Config {
  if (!isObject(v)) throw invalid(`${what} is not a JSON object`)
  return v
}

function invalid(message: string, field?: string): NimbleError {
  return new NimbleError({ code: 'invalid_model', message, field })
}
