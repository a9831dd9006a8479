/**
 * Prices (pure): device classes and what a device-second costs in each.
 *
 * A class is read from the backend and the measured GFLOP/s (float32 matMul in tfjs,
 * see lib/protocol BenchmarkResult), never from the adapter name, which browsers blur:
 *   cpu-wasm       backend wasm or cpu, or (backend unknown) under 50 GFLOP/s
 *   consumer-1080  a GPU under 1,500 GFLOP/s (integrated GPUs, GTX 1060/1080 class in a browser)
 *   mid            1,500 - 5,000 GFLOP/s (RTX 3060/3070 class)
 *   high           5,000 - 20,000 GFLOP/s (RTX 3090/4090 class)
 *   datacenter     20,000 GFLOP/s and up (A100/H100 behind a headless worker)
 * Per-second prices rise with the class but the price per FLOP falls (about 0.010, 0.004,
 * 0.003, 0.0025 and 0.002 tokens/TFLOP at each class's typical speed), so compute-heavy
 * tasks cost least on big devices, while tasks dominated by transfer cost least on small ones.
 */
import { z } from 'zod'
import type { DeviceSlot, TaskNeed } from './match'

export const DEVICE_CLASSES = ['datacenter', 'high', 'mid', 'consumer-1080', 'cpu-wasm'] as const
export const DeviceClass = z.enum(DEVICE_CLASSES)
export type DeviceClass = z.infer<typeof DeviceClass>

/** Lower bounds in GFLOP/s for the GPU classes (document changes in the header). */
export const CLASS_GFLOPS = { datacenter: 20_000, high: 5_000, mid: 1_500, gpu: 50 } as const

const Price = z.number().nonnegative().finite()
export const PriceTable = z.object({
  /** Tokens a job owner pays per device-second, by class. */
  perSecond: z.object({ datacenter: Price, high: Price, mid: Price, 'consumer-1080': Price, 'cpu-wasm': Price }),
  /** Tokens a volunteer earns per verified TFLOP (the coordinator's own FLOP estimate). */
  volunteerPerTflop: Price,
})
export type PriceTable = z.infer<typeof PriceTable>

export const DEFAULT_PRICES: PriceTable = {
  perSecond: { datacenter: 0.06, high: 0.02, mid: 0.0075, 'consumer-1080': 0.004, 'cpu-wasm': 0.0002 },
  // Below every class's per-TFLOP price at its typical speed, so verified work leaves a margin.
  volunteerPerTflop: 0.0015,
}

/** Config override: any subset of the table; the rest keeps its default. Throws a ZodError naming the bad field. */
export const PriceTableOverride = z.object({
  perSecond: PriceTable.shape.perSecond.partial().optional(),
  volunteerPerTflop: Price.optional(),
})
export function readPrices(json: unknown, base: PriceTable = DEFAULT_PRICES): PriceTable {
  const o = PriceTableOverride.parse(json ?? {})
  return { perSecond: { ...base.perSecond, ...o.perSecond }, volunteerPerTflop: o.volunteerPerTflop ?? base.volunteerPerTflop }
}

export function classify(backend: string | undefined, gflops: number): DeviceClass {
  if (backend === 'wasm' || backend === 'cpu') return 'cpu-wasm'
  if (gflops >= CLASS_GFLOPS.datacenter) return 'datacenter'
  if (gflops >= CLASS_GFLOPS.high) return 'high'
  if (gflops >= CLASS_GFLOPS.mid) return 'mid'
  // webgpu is a GPU however slow; an unknown backend this slow is most likely a CPU.
  if (backend === 'webgpu' || gflops >= CLASS_GFLOPS.gpu) return 'consumer-1080'
  return 'cpu-wasm'
}

export function deviceClass(device: DeviceSlot): DeviceClass {
  return device.class ?? classify(device.backend, device.gflops)
}

/** An unmeasured device (gflops 0) is planned as this slow: usable, but only as a last resort. */
export const UNMEASURED_GFLOPS = 1

/** Bytes/s a device with no measured bandwidth is planned at for the blobs it lacks. */
export const UNMEASURED_BANDWIDTH = 10e6

/** Bytes of the task's blobs that `cached` lacks. */
export function missingBlobBytes(task: Pick<TaskNeed, 'blobs'>, cached?: ReadonlySet<string>): number {
  let bytes = 0
  for (const b of task.blobs ?? []) if (!cached?.has(b.hash)) bytes += b.bytes
  return bytes
}

/**
 * Expected wall time: compute at the measured speed, plus `bytes` at the measured bandwidth
 * (if known), plus the blobs the device lacks (at UNMEASURED_BANDWIDTH if not measured).
 */
export function expectedMs(task: Pick<TaskNeed, 'flops' | 'bytes' | 'blobs'>, device: Pick<DeviceSlot, 'gflops' | 'bandwidth' | 'cached'>): number {
  const gflops = device.gflops > 0 ? device.gflops : UNMEASURED_GFLOPS
  const compute = task.flops / (gflops * 1e9)
  const measured = device.bandwidth && device.bandwidth > 0 ? device.bandwidth : 0
  const transfer = task.bytes && measured ? task.bytes / measured : 0
  const blobs = task.blobs ? missingBlobBytes(task, device.cached) / (measured || UNMEASURED_BANDWIDTH) : 0
  return (compute + transfer + blobs) * 1000
}

/** Tokens to run `task` on `device`: expected seconds times the class's per-second price. */
export function taskCost(task: Pick<TaskNeed, 'flops' | 'bytes' | 'blobs'>, device: DeviceSlot, prices: PriceTable = DEFAULT_PRICES): number {
  return (expectedMs(task, device) / 1000) * prices.perSecond[deviceClass(device)]
}

/** What a volunteer earns for an accepted task of `flops` (credit is never self-reported). */
export function volunteerReward(flops: number, prices: PriceTable = DEFAULT_PRICES): number {
  return (flops / 1e12) * prices.volunteerPerTflop
}
