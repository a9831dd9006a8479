/** Messages between the contribute page and its compute Web Worker (postMessage). Parsed on both sides. */
import { z } from 'zod'
import { AdapterInfo, Backend, BenchmarkResult } from './device'
import { Task } from './task'

export const ToWorker = z.discriminatedUnion('type', [
  /** Probe WebGPU, benchmark each available backend (or only `force`), pick the fastest and initialise it. */
  z.object({ type: z.literal('init'), force: Backend.optional(), wasmPath: z.string().max(300) }),
  /** `origin` resolves the task's relative blob URLs. */
  z.object({ type: z.literal('run'), task: Task, origin: z.string().max(300) }),
  z.object({ type: z.literal('cancel'), instanceId: z.number().int() }),
])
export type ToWorker = z.infer<typeof ToWorker>

export const FromWorker = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    backend: Backend,
    adapter: AdapterInfo.nullable(),
    benchmarks: z.array(BenchmarkResult),
    memoryBudget: z.number(),
  }),
  z.object({ type: z.literal('status'), message: z.string() }),
  z.object({ type: z.literal('progress'), instanceId: z.number().int(), fraction: z.number(), loss: z.number().nullable() }),
  /** `weights` is a transferred ArrayBuffer holding a tensor pack. */
  z.object({
    type: z.literal('result'),
    instanceId: z.number().int(),
    taskId: z.number().int(),
    weights: z.instanceof(ArrayBuffer),
    loss: z.number().nullable(),
    elapsedMs: z.number(),
    backend: Backend,
  }),
  z.object({ type: z.literal('failed'), instanceId: z.number().int(), message: z.string(), outOfMemory: z.boolean().optional() }),
  z.object({ type: z.literal('fatal'), message: z.string() }),
])
export type FromWorker = z.infer<typeof FromWorker>
