import { z } from 'zod'
import { ModelSpec, TrainHyper } from './model'

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')

/** A content-addressed blob; `url` is relative to the coordinator's origin. */
export const BlobRef = z.object({ hash: Sha256, bytes: z.number().int().nonnegative(), url: z.string().max(500) })
export type BlobRef = z.infer<typeof BlobRef>

/**
 * One training task: start from `weights`, train `hyper.localEpochs` passes over `shard`
 * (a tensor pack with `x` [n, inputSize] and `y` [n, outputSize] one-hot), and return
 * the updated weights as a tensor pack in model.getWeights() order.
 */
export const TrainTask = z.object({
  kind: z.literal('train'),
  /** The lease: results must quote it. A new lease is issued on every (re)assignment. */
  instanceId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  jobId: z.string().max(64),
  round: z.number().int().nonnegative(),
  shard: z.number().int().nonnegative(),
  model: ModelSpec,
  hyper: TrainHyper,
  weights: BlobRef,
  data: BlobRef,
  /** Number of rows in the shard (known to the coordinator). */
  rows: z.number().int().positive(),
  /** Epoch milliseconds after which the lease lapses and the task goes to someone else. */
  deadline: z.number().int(),
})
export type TrainTask = z.infer<typeof TrainTask>

/**
 * One inference task: run the model with `weights` over `data` (a tensor pack with `x`
 * [rows, inputSize]) and return a tensor pack with `y` [rows, outputSize]: class
 * probabilities for classification, the predicted value for regression.
 */
export const InferTask = z.object({
  kind: z.literal('infer'),
  instanceId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  jobId: z.string().max(64),
  shard: z.number().int().nonnegative(),
  model: ModelSpec,
  weights: BlobRef,
  data: BlobRef,
  rows: z.number().int().positive(),
  deadline: z.number().int(),
})
export type InferTask = z.infer<typeof InferTask>

/** One layer of a segment: a tfjs layer's serialized form ({class_name, config}) as in model.json's topology. */
export const SegmentLayer = z.object({ class_name: z.string().max(100), config: z.record(z.string(), z.unknown()) })

/**
 * One micro-batch through one pipeline segment (layers [from, to) of the model).
 * forward: input `x` [rows, ...inputShape] -> result pack `y` [rows, ...outputShape].
 */
export const StageTask = z.object({
  kind: z.literal('stage'),
  instanceId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  jobId: z.string().max(64),
  stage: z.number().int().nonnegative(),
  stages: z.number().int().positive(),
  microBatch: z.number().int().nonnegative(),
  segment: z.object({
    from: z.number().int().nonnegative(),
    to: z.number().int().positive(),
    layers: z.array(SegmentLayer).min(1).max(10_000),
    /** Per-example input shape of the segment (without the batch dimension). */
    inputShape: z.array(z.number().int().positive()).min(1).max(4),
  }),
  /** The segment's weights: one tensor pack per layer that has weights, in layer order (content-addressed, cached by devices). */
  weights: z.array(z.object({ layer: z.number().int().nonnegative(), ref: BlobRef })).max(10_000),
  input: BlobRef,
  rows: z.number().int().positive(),
  deadline: z.number().int(),
  /**
   * forward (default): `y` = the segment applied to `x`.
   * backward (pipeline training, GPipe): recompute the segment's forward on `x`, then return
   * `dx` = dL/dx (omitted on stage 0) and, per weight of the segment (named as tfjs names it,
   * e.g. `dense_3/kernel`), dL/dW summed over this micro-batch's rows. The last stage gets
   * `labels` and computes the loss itself (L = sum over rows of `loss` / `stepRows`, so the
   * coordinator sums micro-batches into the step's mean-loss gradient) and also returns
   * `loss` [1] = the summed per-row loss; earlier stages get `gradient` (the next stage's dx).
   */
  mode: z.enum(['forward', 'backward']).optional(),
  gradient: BlobRef.optional(),
  labels: BlobRef.optional(),
  loss: z.enum(['categoricalCrossentropy', 'meanSquaredError']).optional(),
  stepRows: z.number().int().positive().optional(),
})
export type StageTask = z.infer<typeof StageTask>

export const Task = z.discriminatedUnion('kind', [TrainTask, InferTask, StageTask])
export type Task = z.infer<typeof Task>

/** The keys of each kind of task message. */
const MESSAGE_KEYS = new Map<string, string[]>(Task.options.map((o) => [o.shape.kind.value, Object.keys(o.shape)]))

/** What a task message takes from its lease and task (each kind keeps the keys its schema has). */
export type TaskLease = { instanceId: number; taskId: number; jobId: string; shard: number; rows: number; deadline: number; round: number; stage: number; microBatch: number }

/**
 * A task message from a stored payload and its lease: the keys of its kind, and nothing else
 * of the payload (the coordinator's memory estimate, result shapes, preferred device). It is
 * built, not parsed: every device parses each task it receives and refuses a malformed one with
 * the reason (task:failed), and the coordinator's parse of every lease cost about 10 µs a task
 * (about 3% of its CPU under bench:load). Callers that want the check parse what it returns.
 */
export function taskMessage(payload: { kind: string }, lease: TaskLease): Task {
  const keys = MESSAGE_KEYS.get(payload.kind)
  if (!keys) throw new Error(`task ${lease.taskId}: its payload is of kind ${JSON.stringify(payload.kind)}, which no task message has`)
  // Key by key from two fixed-shape objects: spreading the payload and the lease into one
  // object first took about 5 µs a task.
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    const v = k in lease ? (lease as Record<string, unknown>)[k] : (payload as Record<string, unknown>)[k]
    if (v !== undefined) out[k] = v
  }
  return out as Task
}

/**
 * What a device says about its result. Informational only: the coordinator recomputes what it credits.
 * The result itself is a binary tensor pack: the updated weights (train) or `y` (infer).
 */
export const TaskResultMeta = z.object({
  instanceId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  /** Mean training loss over the last local epoch, as the device saw it. */
  loss: z.number().nullable(),
  elapsedMs: z.number().nonnegative().max(86_400_000),
  backend: z.string().max(20),
})
export type TaskResultMeta = z.infer<typeof TaskResultMeta>

export const TaskProgress = z.object({
  instanceId: z.number().int().positive(),
  /** 0..1 */
  fraction: z.number().min(0).max(1),
  loss: z.number().nullable().optional(),
})
export type TaskProgress = z.infer<typeof TaskProgress>

export const TaskFailure = z.object({
  instanceId: z.number().int().positive(),
  message: z.string().max(2000),
  /** The device ran out of memory on it (WebGPU error scope or a failed allocation): its budget goes down. */
  outOfMemory: z.boolean().optional(),
})
export type TaskFailure = z.infer<typeof TaskFailure>
