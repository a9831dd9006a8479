/**
 * Cuts a model's layers into contiguous segments, one per device, for pipeline execution, and
 * minimises the pipeline's steady-state period: the slowest stage's time per micro-batch.
 *
 * Exact: a dynamic programme over (layer boundary, device index). Devices are used in the order
 * given, each at most once, and may be skipped. Phase 1 finds the least bottleneck T*; phase 2
 * finds the fewest stages among plans whose every stage takes at most T*. (One lexicographic pass
 * would not be exact: the prefix with the least bottleneck is not always the one that leads to the
 * fewest stages.) O(layers² · devices), pruned by memory and by the best time found so far.
 *
 * Cost model, float32 throughout:
 * - memory of [i, j): weights + (training: gradients = weights, Adam 2×, momentum 1×, SGD 0×)
 *   + microBatch · (the segment's input + every layer's output), which are also what backward keeps;
 * - compute: forward FLOPs · microBatch · (training ? 3 : 1) / device FLOP/s;
 * - transfer: the segment's input for one micro-batch (the first stage's data too), plus, when
 *   training, the gradient of its output coming back (not for the last segment), over the
 *   receiving device's bandwidth.
 */
import { NimbleError, type Optimizer } from '../protocol'
import type { LayerEstimate } from './estimate'

export type PlanDevice = { id: string; memoryBytes: number; gflops: number; bandwidthBytesPerSec: number }
export type PartitionOptions = { microBatch: number; training: boolean; optimizer?: Optimizer }

export type Segment = {
  /** Layers [from, to). */
  from: number
  to: number
  deviceId: string
  params: number
  weightBytes: number
  memoryBytes: number
  /** FLOPs the stage runs per micro-batch (forward, ×3 when training). */
  flops: number
  /** Bytes the stage receives per micro-batch: its input, and its output's gradient when training. */
  inputBytes: number
  gradientBytes: number
  computeSec: number
  transferSec: number
  stageSec: number
}

export type PipelinePlan = { segments: Segment[]; bottleneckSec: number; stages: number; microBatch: number; training: boolean }

type Costs = ReturnType<typeof costs>

/** Plans layers onto devices. Throws NimbleError('invalid_model') when they cannot hold the model, 'bad_request' for bad arguments. */
export function partition(layers: LayerEstimate[], devices: PlanDevice[], options: PartitionOptions): PipelinePlan {
  checkArguments(layers, devices, options)
  const c = costs(layers, options)
  const n = layers.length
  const K = devices.length
  const stageSec = (i: number, j: number, d: PlanDevice) => c.computeFlops(i, j) / (d.gflops * 1e9) + c.transferBytes(i, j) / d.bandwidthBytesPerSec

  // Phase 1: best[k][j] = least bottleneck covering layers [0, j) with devices [0, k).
  let prev = new Float64Array(n + 1).fill(Infinity)
  prev[0] = 0
  for (let k = 1; k <= K; k++) {
    const d = devices[k - 1]
    const cur = Float64Array.from(prev)
    for (let j = 1; j <= n; j++) {
      for (let i = j - 1; i >= 0; i--) {
        if (c.lowerMemory(i, j) > d.memoryBytes) break // grows as i falls
        if (c.computeFlops(i, j) / (d.gflops * 1e9) >= cur[j]) break // so does compute
        if (prev[i] === Infinity || c.memory(i, j) > d.memoryBytes) continue
        const t = Math.max(prev[i], stageSec(i, j, d))
        if (t < cur[j]) cur[j] = t
      }
    }
    prev = cur
  }
  const best = prev[n]
  if (best === Infinity) throw infeasible(layers, devices, options, c)

  // Phase 2: the fewest stages with every stage within T* (a relative hair of slack for rounding).
  const limit = best * (1 + 1e-9) + 1e-300
  const count = Array.from({ length: K + 1 }, () => new Float64Array(n + 1).fill(Infinity))
  const from = Array.from({ length: K + 1 }, () => new Int32Array(n + 1).fill(-1)) // -1: device k-1 skipped
  for (let k = 0; k <= K; k++) count[k][0] = 0
  for (let k = 1; k <= K; k++) {
    const d = devices[k - 1]
    for (let j = 1; j <= n; j++) {
      count[k][j] = count[k - 1][j] // skipping on ties keeps later devices free
      for (let i = j - 1; i >= 0; i--) {
        if (c.lowerMemory(i, j) > d.memoryBytes || c.computeFlops(i, j) / (d.gflops * 1e9) > limit) break
        if (count[k - 1][i] + 1 < count[k][j] && c.memory(i, j) <= d.memoryBytes && stageSec(i, j, d) <= limit) {
          count[k][j] = count[k - 1][i] + 1
          from[k][j] = i
        }
      }
    }
  }

  const segments: Segment[] = []
  for (let k = K, j = n; j > 0; k--) {
    const i = from[k][j]
    if (i < 0) continue
    segments.unshift(segment(i, j, devices[k - 1], c))
    j = i
  }
  return { segments, bottleneckSec: Math.max(...segments.map((s) => s.stageSec)), stages: segments.length, microBatch: options.microBatch, training: options.training }
}

/** Bytes a device needs to hold layers [from, to) (see the cost model above). */
export function segmentMemoryBytes(layers: LayerEstimate[], from: number, to: number, options: PartitionOptions): number {
  return costs(layers, options).memory(from, to)
}

/** The fewest devices of `memoryBytes` each that hold the model (Infinity when one layer is too big). */
export function minDevices(layers: LayerEstimate[], memoryBytes: number, options: PartitionOptions): number {
  return minSegments(layers.length, memoryBytes, costs(layers, options))
}

export type PipelineStats = {
  stages: number
  microBatches: number
  /** GPipe's idle share: (K−1)/(M+K−1). */
  bubbleFraction: number
  /** (M+K−1) · bottleneck: fill, steady state, drain. */
  expectedSec: number
  /** One micro-batch through an empty pipeline: the sum of the stage times. */
  latencySec: number
  rowsPerSec: number
  /** Activations (and, training, gradients) crossing stage boundaries per micro-batch; the first stage's data is not counted. */
  bytesBetweenStagesPerMicroBatch: number
}

export function pipelineStats(plan: PipelinePlan, microBatches: number): PipelineStats {
  if (!Number.isInteger(microBatches) || microBatches < 1) throw badRequest(`microBatches must be a positive integer, got ${microBatches}`, 'microBatches')
  const K = plan.stages
  const M = microBatches
  const expectedSec = (M + K - 1) * plan.bottleneckSec
  return {
    stages: K,
    microBatches: M,
    bubbleFraction: (K - 1) / (M + K - 1),
    expectedSec,
    latencySec: plan.segments.reduce((t, s) => t + s.stageSec, 0),
    rowsPerSec: expectedSec > 0 ? (M * plan.microBatch) / expectedSec : Infinity,
    bytesBetweenStagesPerMicroBatch: plan.segments.reduce((b, s, k) => b + (k > 0 ? s.inputBytes : 0) + s.gradientBytes, 0),
  }
}

/** 8589934592 -> "8.00 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = bytes
  let u = 0
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${units[u]}`
}

/** Prefix sums, so any segment's cost is O(1). */
function costs(layers: LayerEstimate[], o: PartitionOptions) {
  const n = layers.length
  const prefix = (f: (l: LayerEstimate) => number) => {
    const p = new Float64Array(n + 1)
    layers.forEach((l, i) => (p[i + 1] = p[i] + f(l)))
    return p
  }
  const W = prefix((l) => l.weightBytes)
  const A = prefix((l) => l.activationBytes)
  const F = prefix((l) => l.flops)
  const P = prefix((l) => l.params)
  const optimizerCopies = { adam: 2, momentum: 1, sgd: 0 }[o.optimizer ?? 'adam']
  const weightCopies = o.training ? 2 + optimizerCopies : 1
  const mb = o.microBatch
  const lowerMemory = (i: number, j: number) => weightCopies * (W[j] - W[i]) + mb * (A[j] - A[i])
  return {
    layers,
    lowerMemory,
    memory: (i: number, j: number) => lowerMemory(i, j) + mb * layers[i].inputBytes,
    computeFlops: (i: number, j: number) => (F[j] - F[i]) * mb * (o.training ? 3 : 1),
    inputBytes: (i: number) => mb * layers[i].inputBytes,
    gradientBytes: (j: number) => (o.training && j < n ? mb * layers[j].inputBytes : 0),
    transferBytes: (i: number, j: number) => mb * layers[i].inputBytes + (o.training && j < n ? mb * layers[j].inputBytes : 0),
    params: (i: number, j: number) => P[j] - P[i],
    weightBytes: (i: number, j: number) => W[j] - W[i],
    weightCopies,
  }
}

function segment(i: number, j: number, d: PlanDevice, c: Costs): Segment {
  const flops = c.computeFlops(i, j)
  const computeSec = flops / (d.gflops * 1e9)
  const transferSec = c.transferBytes(i, j) / d.bandwidthBytesPerSec
  return {
    from: i,
    to: j,
    deviceId: d.id,
    params: c.params(i, j),
    weightBytes: c.weightBytes(i, j),
    memoryBytes: c.memory(i, j),
    flops,
    inputBytes: c.inputBytes(i),
    gradientBytes: c.gradientBytes(j),
    computeSec,
    transferSec,
    stageSec: computeSec + transferSec,
  }
}

function minSegments(n: number, budget: number, c: Costs): number {
  const f = new Float64Array(n + 1).fill(Infinity)
  f[0] = 0
  for (let j = 1; j <= n; j++) {
    for (let i = j - 1; i >= 0 && c.lowerMemory(i, j) <= budget; i--) {
      if (c.memory(i, j) <= budget && f[i] + 1 < f[j]) f[j] = f[i] + 1
    }
  }
  return f[n]
}

/** Says why no plan exists: the first layer no device can hold, or how many devices it would take. */
function infeasible(layers: LayerEstimate[], devices: PlanDevice[], o: PartitionOptions, c: Costs): NimbleError {
  if (devices.length === 0) return new NimbleError({ code: 'invalid_model', message: `no devices were offered to hold the model's ${layers.length} layers` })
  const largest = Math.max(...devices.map((d) => d.memoryBytes))
  const budget = `the largest device budget is ${formatBytes(largest)} (${largest} bytes)`
  const lighter = o.training && (o.optimizer ?? 'adam') !== 'sgd'
  const big = layers.findIndex((_, i) => c.memory(i, i + 1) > largest)
  if (big >= 0) {
    const l = layers[big]
    const need = c.memory(big, big + 1)
    const weights = c.weightCopies * l.weightBytes
    const rows = `${o.microBatch} row${o.microBatch === 1 ? '' : 's'}`
    const parts = `${formatBytes(weights)} of weights${o.training ? ', gradients and optimizer state' : ''} + ${formatBytes(need - weights)} of activations for ${rows}`
    const fixes = [...(need - weights > 0.01 * need ? ['lower the micro-batch'] : []), ...(lighter ? ['use a lighter optimizer'] : []), 'split the layer', 'add devices with more memory']
    return new NimbleError({
      code: 'invalid_model',
      field: l.name,
      message: `layer ${l.name} (${l.className}, #${l.index}) needs ${formatBytes(need)} (${need} bytes: ${parts}) but ${budget}; ${fixes.slice(0, -1).join(', ')} or ${fixes.at(-1)}`,
    })
  }
  const needed = minSegments(layers.length, largest, c)
  const order = needed <= devices.length ? `; the ${devices.length} devices offered cannot hold it in the order given (smaller devices cannot take their share)` : `, but only ${devices.length} were offered`
  return new NimbleError({
    code: 'invalid_model',
    message: `the model's ${layers.length} layers need at least ${needed} devices of ${formatBytes(largest)} (${largest} bytes) each${order}; add devices${lighter ? ', use a lighter optimizer' : ''} or lower the micro-batch`,
  })
}

function checkArguments(layers: LayerEstimate[], devices: PlanDevice[], o: PartitionOptions): void {
  if (layers.length === 0) throw badRequest('there are no layers to partition', 'layers')
  for (const l of layers) {
    for (const key of ['params', 'weightBytes', 'inputBytes', 'activationBytes', 'flops'] as const) {
      if (!Number.isFinite(l[key]) || l[key] < 0) throw badRequest(`layer ${l.name}: ${key} must be a non-negative number, got ${l[key]}`, 'layers')
    }
  }
  if (!Number.isInteger(o.microBatch) || o.microBatch < 1) throw badRequest(`microBatch must be a positive integer, got ${o.microBatch}`, 'microBatch')
  const ids = new Set<string>()
  for (const d of devices) {
    if (ids.has(d.id)) throw badRequest(`device ${d.id} is listed twice`, 'devices')
    ids.add(d.id)
    for (const key of ['memoryBytes', 'gflops', 'bandwidthBytesPerSec'] as const) {
      const v = d[key]
      if (!Number.isFinite(v) || v < 0 || (key !== 'memoryBytes' && v === 0)) throw badRequest(`device ${d.id}: ${key} must be a ${key === 'memoryBytes' ? 'non-negative' : 'positive'} number, got ${v}`, 'devices')
    }
  }
}

function badRequest(message: string, field: string): NimbleError {
  return new NimbleError({ code: 'bad_request', message, field })
}
