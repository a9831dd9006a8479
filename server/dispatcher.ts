/**
 * Dispatcher: ready tasks -> idle devices.
 *
 * Reads:  tasks (state ready), the registry of connected idle devices.
 * Writes: tasks ready=>leased (attempts+1), a new `instances` row (the lease) per assignment.
 * Sends:  task:assign to the chosen device.
 * The choice of device is lib/scheduler's (pure); this module only makes it durable.
 */
import { matchTasks } from '../lib/scheduler/match'
import { Task as TaskSchema, type ModelSpec, type Task } from '../lib/protocol'
import { trainMemoryBytes } from '../lib/model/shapes'
import { requiredBackends } from '../lib/model/backends'
import { transition } from './log'
import { replicaAvoid } from './replicas'
import type { Ctx } from './context'
import type { Registry } from './registry'

/** Rough memory a task needs: weights (and for training gradients and optimizer state) plus a batch of activations. */
function taskMemory(payload: { kind: string; model?: ModelSpec; memoryBytes?: number; hyper?: { batchSize: number }; shapes?: { shape: number[] }[] }): number {
  if (payload.memoryBytes !== undefined) return payload.memoryBytes
  if (payload.model && payload.model.template !== 'custom') {
    try {
      return trainMemoryBytes(payload.model, payload.hyper?.batchSize ?? 256)
    } catch {}
  }
  const params = (payload.shapes ?? []).reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0)
  return 4 * 4 * params
}

export class Dispatcher {
  private running = false
  private again = false

  constructor(
    private ctx: Ctx,
    private registry: Registry,
  ) {}

  /** Assigns as much as it can. Re-entrant calls coalesce into one more pass. */
  async dispatch(): Promise<void> {
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    try {
      do {
        this.again = false
        await this.pass()
      } while (this.again)
    } catch (e) {
      this.ctx.log.error({ err: e }, 'dispatch failed')
    } finally {
      this.running = false
    }
  }

  private async pass(): Promise<void> {
    const idle = this.registry.idle()
    if (idle.length === 0) return
    const { db } = this.ctx
    const ready = await db
      .selectFrom('tasks')
      .select(['id', 'payload_json', 'flops', 'job_id', 'round', 'shard', 'rows'])
      .where('state', '=', 'ready')
      .orderBy('id')
      .limit(idle.length * 4)
      .execute()
    if (ready.length === 0) return
    const payloads = new Map(ready.map((t) => [t.id, JSON.parse(t.payload_json)]))
    const failedOn = await db
      .selectFrom('instances')
      .select(['task_id', 'device_id'])
      .where(
        'task_id',
        'in',
        ready.map((t) => t.id),
      )
      .where('state', 'in', ['failed', 'invalid', 'expired'])
      .execute()
    const replicas = await replicaAvoid(this.ctx, ready.map((t) => t.id), idle)
    const plan = matchTasks(
      idle.map((d) => ({ id: d.id, gflops: d.gflops, memoryBudget: d.profile.memoryBudget, backend: d.profile.backend })),
      ready.map((t) => ({
        id: t.id,
        flops: t.flops,
        memoryBytes: taskMemory(payloads.get(t.id)),
        avoid: [...failedOn.filter((f) => f.task_id === t.id).map((f) => f.device_id), ...(replicas.get(t.id) ?? [])],
        backends: payloads.get(t.id).model ? requiredBackends(payloads.get(t.id).model, payloads.get(t.id).kind) : undefined,
        prefer: payloads.get(t.id).prefer,
      })),
      // Devices that could take a task later; one cooling down after failures is not waited for.
      this.registry.all().filter((d) => d.coolUntil <= this.ctx.now()).map((d) => d.id),
    )
    for (const a of plan) {
      const device = this.registry.get(a.deviceId)
      const t = ready.find((r) => r.id === a.taskId)!
      if (!device || device.busy !== null) continue
      const now = this.ctx.now()
      const deadline = now + this.ctx.config.NIMBLE_LEASE_MS
      const instanceId = await db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('tasks')
          .set((eb) => ({ state: 'leased', attempts: eb('attempts', '+', 1), updated_at: now }))
          .where('id', '=', t.id)
          .where('state', '=', 'ready')
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) !== 1) return null
        const ins = await trx
          .insertInto('instances')
          .values({ task_id: t.id, job_id: t.job_id, device_id: device.id, state: 'leased', leased_at: now, deadline })
          .returning('id')
          .executeTakeFirstOrThrow()
        return ins.id
      })
      if (instanceId === null) continue
      device.busy = instanceId
      transition(this.ctx.log, 'task', t.id, 'ready', 'leased', { device: device.id, instance: instanceId, job: t.job_id, round: t.round })
      const payload = payloads.get(t.id)
      const task: Task = TaskSchema.parse({
        ...payload,
        instanceId,
        taskId: t.id,
        jobId: t.job_id,
        shard: t.shard,
        rows: t.rows,
        deadline,
        ...(payload.kind === 'train' ? { round: t.round } : {}),
        ...(payload.kind === 'stage' ? { stage: payload.stage ?? t.round, microBatch: payload.microBatch ?? t.shard } : {}),
      })
      device.link.assign(task)
    }
    if (plan.length > 0) this.ctx.bus.emit('network:changed')
  }
}
