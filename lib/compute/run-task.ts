/**
 * One entry point for both device runtimes (the browser Web Worker and the headless worker):
 * fetches a task's blobs through the runtime's `blobs` (its BlobCache over fetchBlob), runs a
 * task of any kind and returns the tensor pack to send back as the `task:result` attachment:
 * the updated weights for `train`, the outputs `y` for `infer` and forward `stage`s, `dx` and
 * the weight gradients for backward `stage`s (stage-backward.ts).
 * Stage weights are fetched only when the segment is not already loaded (see segment.ts).
 */
import type { BlobRef, Task } from '../protocol'
import { runInferTask } from './infer'
import { runStageTask } from './segment'
import { runStageBackward } from './stage-backward'
import { runTrainTask, type TrainOptions } from './train'

export type TaskOutcome = {
  /** The result tensor pack. */
  result: ArrayBuffer
  /** Training loss of the last pass; for a last backward stage, its micro-batch's mean loss; else null. */
  loss: number | null
  elapsedMs: number
}

/** Gives the bytes of a content-addressed blob, checked against its ref. */
export type BlobSource = (ref: BlobRef) => Promise<ArrayBuffer>

export async function runTask(task: Task, blobs: BlobSource, opts: TrainOptions = {}): Promise<TaskOutcome> {
  if (task.kind === 'stage') {
    const input = await blobs(task.input)
    if (task.mode === 'backward') {
      const out = await runStageBackward(task, blobs, input, opts)
      return { result: out.output, loss: out.lossSum === null ? null : out.lossSum / task.rows, elapsedMs: out.elapsedMs }
    }
    const out = await runStageTask(task, blobs, input, opts)
    return { result: out.output, loss: null, elapsedMs: out.elapsedMs }
  }
  const [weights, data] = await Promise.all([blobs(task.weights), blobs(task.data)])
  if (task.kind === 'train') {
    const out = await runTrainTask(task, weights, data, opts)
    return { result: out.weights, loss: out.loss, elapsedMs: out.elapsedMs }
  }
  const out = await runInferTask(task, weights, data, opts)
  return { result: out.output, loss: null, elapsedMs: out.elapsedMs }
}

/** How logs name a task: its round for training, its stage for pipelines, "inference" otherwise. */
export function describeTask(task: Task): string {
  if (task.kind === 'train') return `task ${task.taskId} round ${task.round}`
  if (task.kind === 'stage') return `task ${task.taskId} stage ${task.stage + 1}/${task.stages}`
  return `task ${task.taskId} inference`
}

/** The slice of the job a task covers, for logs: its shard, or its micro-batch for a stage. */
export function describeUnit(task: Task): string {
  return task.kind === 'stage' ? `micro-batch ${task.microBatch}` : `shard ${task.shard}`
}
