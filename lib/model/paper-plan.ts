/**
 * Planning a model on paper: "100e9 parameters on 8 GiB devices over 100 Mbit/s — how many
 * segments, devices, bytes and seconds?" Builds a synthetic uniform stack (estimateFromParams),
 * finds the fewest identical devices that hold it, partitions it exactly and summarises the
 * pipeline. Pure, so `npm run plan`, the dashboard and the API share it; units parse here too.
 */
import { NimbleError, type Optimizer } from '../protocol'
import { estimateFromParams } from './estimate'
import { formatBytes, minDevices, partition, pipelineStats, type PipelinePlan, type PipelineStats } from './partition'

export type PaperPlanOptions = {
  params: number
  deviceMemoryBytes: number
  bandwidthBytesPerSec: number
  /** Micro-batches per pipeline pass (GPipe's M). */
  microBatches: number
  /** Blocks the model is made of (the finest cut); default 100. */
  layers?: number
  /** Default: √(params per block / 12). */
  hiddenSize?: number
  /** Positions per row; default 1. */
  sequenceLength?: number
  /** Each device's FLOP/s in GFLOP/s; default 10. */
  gflops?: number
  /** Rows per micro-batch; default 1. */
  microBatch?: number
  training?: boolean
  /** Default adam (when training). */
  optimizer?: Optimizer
  /** Identical devices available; default the fewest that hold the model. More can shorten stages. */
  devices?: number
}

export type PaperPlan = {
  params: number
  layers: number
  hiddenSize: number
  sequenceLength: number
  device: { memoryBytes: number; gflops: number; bandwidthBytesPerSec: number }
  training: boolean
  optimizer: Optimizer
  /** The fewest identical devices that hold the model. */
  devicesNeeded: number
  devicesOffered: number
  plan: PipelinePlan
  stats: PipelineStats
}

export const MAX_PAPER_LAYERS = 1000
export const MAX_PAPER_DEVICES = 1000

/** Throws NimbleError: 'bad_request' for bad options, 'invalid_model' when the devices cannot hold the model. */
export function planOnPaper(opts: PaperPlanOptions): PaperPlan {
  const layerCount = opts.layers ?? 100
  if (Number.isInteger(layerCount) && layerCount > MAX_PAPER_LAYERS) throw badRequest(`at most ${MAX_PAPER_LAYERS} layers, got ${layerCount}`, 'layers')
  const layers = estimateFromParams({ params: opts.params, layers: layerCount, hiddenSize: opts.hiddenSize, sequenceLength: opts.sequenceLength })
  const device = { memoryBytes: opts.deviceMemoryBytes, gflops: opts.gflops ?? 10, bandwidthBytesPerSec: opts.bandwidthBytesPerSec }
  positive(device.memoryBytes, 'deviceMemoryBytes')
  positive(device.gflops, 'gflops')
  positive(device.bandwidthBytesPerSec, 'bandwidthBytesPerSec')
  const training = opts.training ?? false
  const optimizer = opts.optimizer ?? 'adam'
  const options = { microBatch: opts.microBatch ?? 1, training, optimizer }
  const needed = minDevices(layers, device.memoryBytes, options)
  const offered = opts.devices ?? (Number.isFinite(needed) ? needed : 1) // a layer too big: partition says which
  if (!Number.isInteger(offered) || offered < 1 || offered > MAX_PAPER_DEVICES) throw badRequest(`devices must be an integer from 1 to ${MAX_PAPER_DEVICES}, got ${offered}`, 'devices')
  const devices = Array.from({ length: offered }, (_, i) => ({ id: `device-${i + 1}`, ...device }))
  const plan = partition(layers, devices, options)
  return {
    params: layers.reduce((n, l) => n + l.params, 0),
    layers: layers.length,
    hiddenSize: layers[0].outputShape[1],
    sequenceLength: layers[0].outputShape[0],
    device,
    training,
    optimizer,
    devicesNeeded: needed,
    devicesOffered: offered,
    plan,
    stats: pipelineStats(plan, opts.microBatches),
  }
}

/** The plan as the lines `npm run plan` prints; runs of identical segments share a line. */
export function formatPaperPlan(p: PaperPlan): string {
  const { plan, stats } = p
  const mode = p.training ? `training with ${p.optimizer} (weights, gradients${p.optimizer === 'sgd' ? '' : ' and optimizer state'})` : 'inference (weights only)'
  const lines = [
    `model: ${sci(p.params)} parameters in ${p.layers} blocks (hidden ${p.hiddenSize}, sequence length ${p.sequenceLength}), float32, ${mode}`,
    `device: ${formatBytes(p.device.memoryBytes)} memory, ${p.device.gflops} GFLOP/s, ${formatRate(p.device.bandwidthBytesPerSec)}`,
    `devices needed: ${p.devicesNeeded} (the fewest that hold the model); planned on ${p.devicesOffered}, used ${plan.stages}`,
    `segments: ${plan.stages}`,
  ]
  for (let a = 0; a < plan.segments.length; ) {
    const s = plan.segments[a]
    let b = a + 1
    while (b < plan.segments.length && sameShape(plan.segments[b], s)) b++
    const which = b - a === 1 ? `#${a + 1}` : `#${a + 1}-#${b}`
    const n = s.to - s.from
    lines.push(
      `  ${which}: ${n} block${n === 1 ? '' : 's'}${b - a > 1 ? ' each' : ''}, ${sci(s.params)} params, weights ${formatBytes(s.weightBytes)} (${sci(s.weightBytes)} bytes), ` +
        `in memory ${formatBytes(s.memoryBytes)} of ${formatBytes(p.device.memoryBytes)}; ` +
        `stage ${formatSeconds(s.stageSec)} (compute ${formatSeconds(s.computeSec)} + transfer ${formatSeconds(s.transferSec)})`,
    )
    a = b
  }
  const rows = stats.microBatches * plan.microBatch
  lines.push(
    `bytes moved per micro-batch between stages: ${formatBytes(stats.bytesBetweenStagesPerMicroBatch)} (${plan.stages - 1} boundaries × ${boundary(p)})`,
    `time per micro-batch (${plan.microBatch} row${plan.microBatch === 1 ? '' : 's'}): ${formatSeconds(plan.bottleneckSec)} per stage in steady state (the bottleneck); ${formatSeconds(stats.latencySec)} through all ${plan.stages} stages`,
    `bubble: ${(100 * stats.bubbleFraction).toFixed(1)}% idle with ${stats.microBatches} micro-batches ((K−1)/(M+K−1) = ${plan.stages - 1}/${stats.microBatches + plan.stages - 1})`,
    `expected: ${formatSeconds(stats.expectedSec)} for ${stats.microBatches} micro-batches (${rows} rows), throughput ${stats.rowsPerSec.toPrecision(3)} rows/s`,
  )
  return lines.join('\n')
}

const SI: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }
const BINARY: Record<string, number> = { ki: 2 ** 10, mi: 2 ** 20, gi: 2 ** 30, ti: 2 ** 40 }
const NUMBER = /^\s*(\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)\s*(.*?)\s*$/i

/** "8GiB" -> 8589934592, "8GB" -> 8e9, "512MiB", "4096" (bytes). Case-insensitive: memory is always bytes. */
export function parseByteSize(text: string, field = 'size'): number {
  const m = NUMBER.exec(text)
  const raw = m?.[2].toLowerCase() ?? 'x'
  const prefix = raw.replace(/(bytes?|b)$/, '')
  const scale = raw === '' ? 1 : prefix === raw ? undefined : prefix === '' ? 1 : (BINARY[prefix] ?? SI[prefix])
  if (!m || scale === undefined) throw badRequest(`${field}: cannot read "${text}" as a size; use e.g. 8GiB, 8GB, 512MiB or a number of bytes`, field)
  return Number(m[1]) * scale
}

/** Bytes per second from bits ("100Mbit", "1Gbit/s", "100Mbps", "100Mb/s") or bytes ("12.5MB/s", "10MiB/s"); a bare number is bytes/s. */
export function parseBandwidth(text: string, field = 'bandwidth'): number {
  const m = NUMBER.exec(text)
  const unit = m?.[2].replace(/(\/s|ps)$/, '')
  const value = Number(m?.[1])
  if (unit === '') return value
  const bits = unit === undefined ? null : /^([kmgt]?)(bits?|b)$/i.exec(unit)
  if (bits && bits[2] !== 'B') return (value * SI[bits[1].toLowerCase()]) / 8 // lower-case b: bits
  const bytes = unit === undefined ? null : /^(?:([kmgt])(i?))?B$/i.exec(unit)
  if (bytes && unit!.endsWith('B')) {
    const prefix = (bytes[1] ?? '').toLowerCase()
    return value * (bytes[2] ? BINARY[`${prefix}i`] : SI[prefix])
  }
  throw badRequest(`${field}: cannot read "${text}" as a bandwidth; use e.g. 100Mbit, 1Gbit/s, 100Mbps, 12.5MB/s or a number of bytes per second`, field)
}

/** What crosses one boundary per micro-batch (the stack is uniform, so any boundary will do). */
function boundary(p: PaperPlan): string {
  const last = p.plan.segments[p.plan.segments.length - 1]
  const forward = formatBytes(last.inputBytes)
  return p.training ? `(${forward} of activations forward + ${forward} of gradients back)` : `${forward} of activations`
}

function sameShape(a: PipelinePlan['segments'][number], b: PipelinePlan['segments'][number]): boolean {
  return a.to - a.from === b.to - b.from && a.params === b.params && a.memoryBytes === b.memoryBytes && Math.abs(a.stageSec - b.stageSec) <= 1e-9 * b.stageSec
}

function sci(n: number): string {
  return n >= 1e6 ? n.toExponential(2).replace('e+', 'e') : String(n)
}

function formatSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(2)} h`
  if (s >= 60) return `${(s / 60).toFixed(2)} min`
  if (s >= 1) return `${s.toFixed(2)} s`
  return `${(s * 1000).toPrecision(3)} ms`
}

function formatRate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8
  return bits >= 1e9 ? `${+(bits / 1e9).toPrecision(4)} Gbit/s` : `${+(bits / 1e6).toPrecision(4)} Mbit/s`
}

function positive(v: number, field: string): void {
  if (!Number.isFinite(v) || v <= 0) throw badRequest(`${field} must be a positive number, got ${v}`, field)
}

function badRequest(message: string, field: string): NimbleError {
  return new NimbleError({ code: 'bad_request', message, field })
}
