/**
 * Pipeline segments: contiguous layers [from, to) of a Sequential model, built on their own so a
 * model too big for one device runs as stages on several. Layer indices are those of the model's
 * topology, which are also tfjs's `model.layers` indices (an explicit InputLayer counts in both).
 *
 * Coordinator side: `segmentLayersFromTopology` cuts a topology into a StageTask's `segment`, and
 * `splitLayerWeights` turns a model's weights into one tensor pack per weighted layer.
 * Device side: `runStageTask` runs one micro-batch through a segment (`buildSegment` +
 * `loadSegmentWeights`), keeping built segments loaded between micro-batches (segment-cache.ts).
 *
 * Stage input: the pack's `x` [rows, ...inputShape], or flat [rows, size], or a pack holding a
 * single tensor under another name (the previous stage's `y` passed on as is).
 * Stage output: a pack with `y` [rows, ...outputShape].
 * Backward stages (`mode: 'backward'`) run in stage-backward.ts on the same cached segments.
 */
import * as tf from '@tensorflow/tfjs'
import { NimbleError, packTensors, unpackTensors, type BlobRef, type NamedTensor, type StageTask } from '../protocol'
import { normalizeTopology, topologyCost, type TopologyCost } from '../model/topology'
import { widestActivation } from './model-io'
import { SegmentCache } from './segment-cache'
import { pythonicToTs } from './tfjs-config'
import { YIELD_EVERY_MS } from './train'

export type Segment = StageTask['segment']
export type LayerWeights = { layer: number; tensors: NamedTensor[] }

/** The topology index of each built layer, so weights packs (which quote topology indices) find their layer. */
const layerIndices = new WeakMap<tf.LayersModel, number[]>()

/**
 * A Sequential of the segment's layers taking [batch, ...segment.inputShape]. InputLayer entries are
 * skipped; weights are left uninitialised (load them with loadSegmentWeights). Throws NimbleError('invalid_model').
 */
export function buildSegment(segment: Segment): tf.Sequential {
  const { from, to } = segment
  const { normalized, indices } = segmentTopology(segment)
  // The same checks as an upload (supported layers, shapes), before tfjs allocates anything.
  topologyCost(normalized)
  const ts = pythonicToTs(normalized) as { config: tf.serialization.ConfigDict }
  let model: tf.Sequential
  try {
    model = tf.Sequential.fromConfig(tf.Sequential, ts.config, {}, true) as tf.Sequential
  } catch (e) {
    throw invalid(`tfjs could not build segment [${from}, ${to}): ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 500)}`)
  }
  layerIndices.set(model, indices)
  return model
}

/** The segment's shapes, parameters and activations per row, from its configs alone (nothing is allocated). Throws NimbleError('invalid_model'). */
export function segmentCost(segment: Segment): TopologyCost {
  return topologyCost(segmentTopology(segment).normalized)
}

/** The segment as a normalized Sequential topology taking [null, ...inputShape], and the topology index of each kept layer. */
function segmentTopology(segment: Segment) {
  const { from, to, layers, inputShape } = segment
  if (to - from !== layers.length) throw invalid(`segment [${from}, ${to}) should hold ${to - from} layers but lists ${layers.length}`)
  const kept = layers.flatMap((l, i) => (l.class_name === 'InputLayer' ? [] : [{ layer: structuredClone(l), index: from + i }]))
  if (kept.length === 0) throw invalid(`segment [${from}, ${to}) has no layers besides InputLayer`)
  const first = kept[0].layer.config
  for (const key of ['batch_input_shape', 'batch_shape', 'input_shape', 'batch_size']) delete first[key]
  first.batch_input_shape = [null, ...inputShape]
  const topology = { class_name: 'Sequential', config: { name: `segment_${from}_${to}`, layers: kept.map((k) => k.layer) } }
  return { normalized: normalizeTopology(topology).topology, indices: kept.map((k) => k.index) }
}

/**
 * Sets every weighted layer of a segment from its pack: one pack per weighted layer, matched by
 * topology index, each holding that layer's weights by name (`dense_3/kernel`). Throws
 * NimbleError('invalid_model') naming the layer and weight on any mismatch; sets nothing then.
 */
export function loadSegmentWeights(model: tf.LayersModel, packs: LayerWeights[]): void {
  const indices = layerIndices.get(model) ?? model.layers.map((_, i) => i)
  const byIndex = new Map<number, LayerWeights>()
  for (const p of packs) {
    if (byIndex.has(p.layer)) throw invalid(`two weights packs for layer ${p.layer}`)
    byIndex.set(p.layer, p)
  }
  const plan: { layer: tf.layers.Layer; values: NamedTensor[] }[] = []
  model.layers.forEach((layer, i) => {
    const index = indices[i]
    const pack = byIndex.get(index)
    byIndex.delete(index)
    const expected = layer.weights
    if (expected.length === 0) {
      if (pack) throw invalid(`layer ${index} (${layer.name}) has no weights but a pack was sent for it`)
      return
    }
    if (!pack) throw invalid(`layer ${index} (${layer.name}) needs ${expected.map((w) => w.originalName).join(', ')}; no weights pack was sent for it`)
    const got = new Map(pack.tensors.map((t) => [t.name, t]))
    if (got.size !== expected.length || pack.tensors.length !== expected.length) {
      throw invalid(`layer ${index} (${layer.name}) has weights ${expected.map((w) => w.originalName).join(', ')}; its pack holds ${pack.tensors.map((t) => t.name).join(', ') || 'nothing'}`)
    }
    const values = expected.map((w) => {
      const t = got.get(w.originalName)
      if (!t) throw invalid(`layer ${index} (${layer.name}): weight ${w.originalName} is missing (the pack holds ${pack.tensors.map((x) => x.name).join(', ')})`)
      if (t.shape.length !== w.shape.length || t.shape.some((d, k) => d !== w.shape[k])) {
        throw invalid(`layer ${index} (${layer.name}): weight ${w.originalName} has shape [${t.shape}], expected [${w.shape}]`)
      }
      return t
    })
    plan.push({ layer, values })
  })
  if (byIndex.size > 0) throw invalid(`weights packs for layers ${[...byIndex.keys()].join(', ')}, which are not in this segment`)
  for (const { layer, values } of plan) {
    const tensors = values.map((t) => tf.tensor(t.data, t.shape, 'float32'))
    try {
      layer.setWeights(tensors)
    } finally {
      tf.dispose(tensors)
    }
  }
}

/**
 * One entry per weighted layer of `model`, in layer order: its topology index and its weights in
 * the layer's getWeights() order, under tfjs's original names. Reads synchronously (cpu, wasm).
 */
export function splitLayerWeights(model: tf.LayersModel): LayerWeights[] {
  return model.layers.flatMap((layer, i) => {
    if (layer.weights.length === 0) return []
    const tensors = layer.weights.map((w) => {
      const value = w.read()
      return { name: w.originalName, shape: [...value.shape], data: Float32Array.from(value.dataSync() as Float32Array) }
    })
    return [{ layer: i, tensors }]
  })
}

/**
 * A StageTask's `segment` for layers [from, to) of a topology: the normalized layer configs and
 * the per-example shapes flowing in and out. Throws NimbleError('invalid_model').
 */
export function segmentLayersFromTopology(topology: unknown, from: number, to: number): Segment & { outputShape: number[] } {
  const { topology: normalized } = normalizeTopology(topology)
  const all = normalized.config.layers
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to <= from || to > all.length) {
    throw invalid(`cannot cut layers [${from}, ${to}) from a model of ${all.length} layers`)
  }
  const cost = topologyCost(normalized)
  const inputShape = from === 0 ? cost.inputShape : cost.layers[from - 1].outputShape
  return { from, to, layers: all.slice(from, to), inputShape, outputShape: cost.layers[to - 1].outputShape }
}

function invalid(message: string): NimbleError {
  return new NimbleError({ code: 'invalid_model', message: `pipeline segment: ${message}` })
}

export type StageOptions = {
  /** Called after every batch of rows with the fraction done (loss is always null). */
  onProgress?: (fraction: number, loss: null) => void
  signal?: AbortSignal
  /** Where built segments are kept; default: one cache per process (4 segments, 512 MiB of weights). */
  cache?: SegmentCache
}

export type StageOutcome = { output: ArrayBuffer; elapsedMs: number }

const defaultCache = new SegmentCache()
/** About 4 MiB of float32 per activation tensor per batch, as for inference. */
const BATCH_VALUES = 1 << 20

/**
 * Runs one micro-batch forward through the task's segment. The weights are fetched (via
 * `fetchWeights`) and the segment built only when the cache does not already hold this segment
 * with these weights; the key is the layer range, the layers and the weights' hashes.
 */
export async function runStageTask(
  task: StageTask,
  fetchWeights: (ref: BlobRef) => Promise<ArrayBuffer>,
  input: ArrayBuffer,
  opts: StageOptions = {},
): Promise<StageOutcome> {
  const started = performance.now()
  if (task.mode === 'backward') throw new NimbleError({ code: 'bad_request', message: 'runStageTask runs forward stages only; run backward stages with runStageBackward (or runTask)' })
  const { segment, rows } = task
  const x = readStageInput(unpackTensors(input), segment.inputShape, rows)
  opts.signal?.throwIfAborted()
  const output = await withSegment(task, fetchWeights, opts.cache, (model) => forward(model, x, rows, opts))
  return { output, elapsedMs: performance.now() - started }
}

/**
 * Runs `use` with the task's segment built and weighted, from `cache` (default: the process's
 * one, shared by forward and backward stages). The weights are fetched and the segment built only
 * on a miss; the key is the layer range, the layers and the weights' hashes.
 */
export async function withSegment<T>(
  task: StageTask,
  fetchWeights: (ref: BlobRef) => Promise<ArrayBuffer>,
  cache: SegmentCache | undefined,
  use: (model: tf.LayersModel) => Promise<T>,
): Promise<T> {
  const { segment } = task
  const key = [segment.from, segment.to, segment.inputShape.join('x'), task.weights.map((w) => `${w.layer}=${w.ref.hash}`).join(','), JSON.stringify(segment.layers)].join('|')
  const bytes = task.weights.reduce((n, w) => n + w.ref.bytes, 0)
  const build = async () => {
    const packs = await Promise.all(task.weights.map(async (w) => ({ layer: w.layer, tensors: unpackTensors(await fetchWeights(w.ref)) })))
    const model = buildSegment(segment)
    try {
      loadSegmentWeights(model, packs)
    } catch (e) {
      model.dispose()
      throw e
    }
    return model
  }
  return (cache ?? defaultCache).with(key, bytes, build, use)
}

/** Disposes every kept segment (tests, or before switching backends). */
export function clearSegmentCache(): void {
  defaultCache.clear()
}

async function forward(model: tf.LayersModel, x: NamedTensor, rows: number, opts: StageOptions): Promise<ArrayBuffer> {
  const inShape = model.inputs[0].shape.slice(1) as number[]
  const outShape = model.outputs[0].shape.slice(1) as number[]
  const inSize = size(inShape)
  const outSize = size(outShape)
  const out = new Float32Array(rows * outSize)
  const batch = Math.max(1, Math.floor(BATCH_VALUES / widestActivation(model)))
  let lastYield = performance.now()
  for (let start = 0; start < rows; start += batch) {
    opts.signal?.throwIfAborted()
    const end = Math.min(rows, start + batch)
    const y = tf.tidy(() => model.predict(tf.tensor(x.data.subarray(start * inSize, end * inSize), [end - start, ...inShape])) as tf.Tensor)
    try {
      out.set((await y.data()) as Float32Array, start * outSize)
    } finally {
      y.dispose()
    }
    opts.onProgress?.(end / rows, null)
    if (performance.now() - lastYield >= YIELD_EVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0))
      lastYield = performance.now()
    }
  }
  opts.signal?.throwIfAborted()
  return packTensors([{ name: 'y', shape: [rows, ...outShape], data: out }])
}

/** The stage's input tensor, checked against the segment's input shape and the task's rows. Throws NimbleError('bad_request'). */
export function readStageInput(tensors: NamedTensor[], inputShape: number[], rows: number): NamedTensor {
  const bad = (message: string) => new NimbleError({ code: 'bad_request', message: `stage input: ${message}` })
  const x = tensors.find((t) => t.name === 'x') ?? (tensors.length === 1 ? tensors[0] : undefined)
  if (!x) throw bad(`expected a tensor x, found ${tensors.map((t) => t.name).join(', ') || 'none'}`)
  if (x.shape[0] !== rows) throw bad(`${x.name} holds ${x.shape[0] ?? 0} rows but the task says ${rows}`)
  const perRow = x.shape.slice(1)
  const flat = perRow.length === 1 && perRow[0] === size(inputShape)
  const exact = perRow.length === inputShape.length && perRow.every((d, i) => d === inputShape[i])
  if (!flat && !exact) throw bad(`${x.name} has shape [${x.shape}], expected [${rows}, ${inputShape}]`)
  return x
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
