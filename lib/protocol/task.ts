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
