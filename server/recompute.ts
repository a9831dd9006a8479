/**
 * The coordinator's own computation of a task, with the same lib/compute executor devices
 * run (on the coordinator's tfjs backend): the reference for spot checks, and the missing
 * copy when no other eligible device is online. Only for cheap tasks
 * (flops <= NIMBLE_SPOT_MAX_FLOPS) and not for pipeline stages, which need a device's
 * loaded segment.
 */
import * as tf from '@tensorflow/tfjs'
import { runTask } from '../lib/compute/run-task'
import { requiredBackends } from '../lib/model/backends'
import { Task as TaskSchema, unpackTensors, type NamedTensor } from '../lib/protocol'
import type { Ctx } from './context'
import { leasedMessage, type Payload } from './dispatcher'
import { taskPayload } from './payloads'
import type { TaskRow } from './store/schema'

/** Whether the coordinator runs this task itself when it must: `payload` is the task's, parsed (server/payloads.ts). */
export function canRecompute(ctx: Ctx, task: Pick<TaskRow, 'flops'>, payload: { kind: string }): boolean {
  return payload.kind !== 'stage' && task.flops <= ctx.config.NIMBLE_SPOT_MAX_FLOPS
}

export async function recompute(ctx: Ctx, task: TaskRow): Promise<NamedTensor[]> {
  const payload = taskPayload<Payload>(ctx.db, task)
  // A lease of its own (instance 1, never stored), checked: what devices parse, the coordinator parses too.
  const parsed = TaskSchema.parse(leasedMessage(task, payload, 1, ctx.now() + ctx.config.NIMBLE_LEASE_MS))
  const run = async () => unpackTensors((await runTask(parsed, async (ref) => ctx.blobs.readArrayBuffer(ref.hash))).result)
  const needs = parsed.kind === 'train' || parsed.kind === 'infer' ? requiredBackends(parsed.model, parsed.kind) : null
  if (!needs || needs.includes(tf.getBackend() as never)) return run()
  // The coordinator runs wasm, which cannot train convolutions: this one runs on cpu.
  return onBackend('cpu', run)
}

let backendLock: Promise<unknown> = Promise.resolve()

/**
 * Runs `fn` with `backend` as tfjs's current backend and puts the previous one back, one at a
 * time. Other coordinator work that runs meanwhile stays correct (tfjs moves tensors between
 * backends as ops need them), only slower.
 */
function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  const next = backendLock.then(async () => {
    const before = tf.getBackend()
    await tf.setBackend(backend)
    try {
      return await fn()
    } finally {
      await tf.setBackend(before)
    }
  })
  backendLock = next.catch(() => {})
  return next
}
