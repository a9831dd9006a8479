/**
 * One entry point for both device runtimes (the browser Web Worker and the headless worker):
 * runs a task of either kind and returns the tensor pack to send back as the `task:result`
 * attachment: the updated weights for `train`, the outputs `y` for `infer`.
 */
import type { Task } from '../protocol'
import { runInferTask } from './infer'
import { runTrainTask, type TrainOptions } from './train'

export type TaskOutcome = {
  /** The result tensor pack. */
  result: ArrayBuffer
  /** Training loss of the last pass; null for inference. */
  loss: number | null
  elapsedMs: number
}

export async function runTask(task: Task, weightsPack: ArrayBuffer, dataPack: ArrayBuffer, opts: TrainOptions = {}): Promise<TaskOutcome> {
  if (task.kind === 'train') {
    const out = await runTrainTask(task, weightsPack, dataPack, opts)
    return { result: out.weights, loss: out.loss, elapsedMs: out.elapsedMs }
  }
  const out = await runInferTask(task, weightsPack, dataPack, opts)
  return { result: out.output, loss: null, elapsedMs: out.elapsedMs }
}

/** How logs name a task: its round for training, "inference" otherwise. */
export function describeTask(task: Task): string {
  return task.kind === 'train' ? `task ${task.taskId} round ${task.round}` : `task ${task.taskId} inference`
}
