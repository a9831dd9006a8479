/**
 * The coordinator's own computation of a task, with the same lib/compute executor devices
 * run (on the coordinator's tfjs backend): the reference for spot checks, and the missing
 * copy when no other eligible device is online. Only for cheap tasks
 * (flops <= NIMBLE_SPOT_MAX_FLOPS) and not for pipeline stages, which need a device's
 * loaded segment.
 */
import { runTask } from '../lib/compute/run-task'
import { Task as TaskSchema, unpackTensors, type NamedTensor } from '../lib/protocol'
import type { Ctx } from './context'
import type { TaskRow } from './store/schema'

export function canRecompute(ctx: Ctx, task: Pick<TaskRow, 'flops' | 'payload_json'>): boolean {
  const kind = (JSON.parse(task.payload_json) as { kind: string }).kind
  return kind !== 'stage' && task.flops <= ctx.config.NIMBLE_SPOT_MAX_FLOPS
}

export async function recompute(ctx: Ctx, task: TaskRow): Promise<NamedTensor[]> {
  const payload = JSON.parse(task.payload_json)
  const parsed = TaskSchema.parse({
    ...payload,
    instanceId: 1,
    taskId: task.id,
    jobId: task.job_id,
    shard: task.shard,
    rows: task.rows,
    deadline: ctx.now() + ctx.config.NIMBLE_LEASE_MS,
    ...(payload.kind === 'train' ? { round: task.round } : {}),
  })
  const out = await runTask(parsed, async (ref) => ctx.blobs.readArrayBuffer(ref.hash))
  return unpackTensors(out.result)
}
