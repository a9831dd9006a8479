import { z } from 'zod'

export const BACKENDS = ['webgpu', 'wasm', 'cpu'] as const
export const Backend = z.enum(BACKENDS)
export type Backend = z.infer<typeof Backend>

export const AdapterInfo = z.object({
  vendor: z.string().max(200),
  architecture: z.string().max(200),
  description: z.string().max(500).optional(),
  isFallbackAdapter: z.boolean(),
  maxBufferSize: z.number().nonnegative(),
  maxStorageBufferBindingSize: z.number().nonnegative(),
})
export type AdapterInfo = z.infer<typeof AdapterInfo>

export const BenchmarkResult = z.object({
  backend: Backend,
  /** Measured GFLOP/s on a calibrated float32 matMul; 0 when the backend failed. */
  gflops: z.number().nonnegative().max(1e7),
  /** Matrix side used for the measurement. */
  size: z.number().int().positive().max(16384),
  error: z.string().max(500).optional(),
})
export type BenchmarkResult = z.infer<typeof BenchmarkResult>

/** What a device says about itself when it joins. Self-reported: used for planning only, never for credit. */
export const DeviceProfile = z.object({
  kind: z.enum(['browser', 'headless']),
  backend: Backend,
  benchmarks: z.array(BenchmarkResult).max(3),
  adapter: AdapterInfo.nullable(),
  /** Bytes the device is willing to use for model weights and activations. */
  memoryBudget: z.number().int().nonnegative(),
  userAgent: z.string().max(500).optional(),
  hardwareConcurrency: z.number().int().min(0).max(4096).optional(),
  /** Download bytes/s from a timed fetch of /api/probe: used to place transfer-heavy tasks, never for credit. */
  bandwidth: z.number().nonnegative().max(1e12).optional(),
  /**
   * Fraction of the time the device computes (the contributor's "use N% of this device"; the
   * page rests between tasks). The coordinator scales the benchmark by it. Absent: 1.
   */
  duty: z.number().min(0.01).max(1).optional(),
})
export type DeviceProfile = z.infer<typeof DeviceProfile>

/** `device:duty`: the contributor changed how much of the device to use, mid-session. */
export const DeviceDuty = z.object({ duty: z.number().min(0.01).max(1) })
export type DeviceDuty = z.infer<typeof DeviceDuty>
