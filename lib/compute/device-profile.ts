/**
 * Pure helpers both device runtimes (the browser Web Worker and the headless Node worker)
 * use to describe themselves: adapter info from a WebGPU adapter, the backend to use
 * given benchmarks, and a memory budget (browsers do not report VRAM; budget from limits).
 */
import type { AdapterInfo, Backend, BenchmarkResult } from '../protocol'

const MiB = 1024 * 1024
export const MAX_GPU_BUDGET = 512 * MiB
export const CPU_BUDGET = 256 * MiB

/** The parts of a WebGPU GPUAdapter we read; structural, so no WebGPU typings are needed. */
export type GpuAdapterLike = {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean }
  isFallbackAdapter?: boolean
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }
}

export function describeAdapter(adapter: GpuAdapterLike): AdapterInfo {
  const info = adapter.info ?? {}
  const description = info.description?.slice(0, 500)
  return {
    vendor: (info.vendor || 'unknown').slice(0, 200),
    architecture: (info.architecture || 'unknown').slice(0, 200),
    ...(description ? { description } : {}),
    isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter ?? false),
    maxBufferSize: Number(adapter.limits.maxBufferSize) || 0,
    maxStorageBufferBindingSize: Number(adapter.limits.maxStorageBufferBindingSize) || 0,
  }
}

/** WebGPU: what one buffer may hold, capped at 512 MiB; wasm and cpu: a conservative 256 MiB. */
export function memoryBudget(backend: Backend, adapter: AdapterInfo | null): number {
  if (backend === 'webgpu' && adapter) return Math.min(adapter.maxBufferSize, MAX_GPU_BUDGET)
  return CPU_BUDGET
}

/** The forced backend if it benchmarked without error, else the fastest that worked; null if none did. */
export function pickBackend(benchmarks: BenchmarkResult[], force?: Backend): Backend | null {
  const working = benchmarks.filter((b) => !b.error && b.gflops > 0)
  if (force) return working.some((b) => b.backend === force) ? force : null
  if (working.length === 0) return null
  return working.reduce((best, b) => (b.gflops > best.gflops ? b : best)).backend
}
