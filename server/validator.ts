/**
 * Validator: returned results -> valid or invalid.
 *
 * Reads:  the instance (lease) the result quotes, its task's model spec.
 * Writes: instances leased=>valid|invalid, tasks leased=>done (with the result blob)
 *         or leased=>ready (rejected: someone else redoes it), device counters.
 * Wakes:  the assimilator (task:done) or the dispatcher (tasks:ready).
 *
 * A result is untrusted: it must quote a live lease held by the sending device, and the
 * weights must have exactly the model's tensors, shapes and only finite values. Nothing
 * the device reports about itself (loss, time) is credited.
 */
import { NimbleError, unpackTensors, type ModelSpec, type NamedTensor, type TaskResultMeta } from '../lib/protocol'
import { weightShapes } from '../lib/model/shapes'
import type { Ctx } from './context'
import { transition } from './log'
import { failJobIfExhausted } from './task-attempts'

/** Checks a result pack against the tensors the task must return (weights for training, `y` for inference). */
export function checkResult(expected: { name: string; shape: number[] }[], bytes: Uint8Array): NamedTensor[] {
  const tensors = unpackTensors(bytes)
  if (tensors.length !== expected.length) {
    throw new NimbleError({ code: 'invalid_result', message: `result has ${tensors.length} tensors, the task expects ${expected.length}` })
  }
  expected.forEach((e, i) => {
    const t = tensors[i]
    if (t.name !== e.name || t.shape.length !== e.shape.length || t.shape.some((d, j) => d !== e.shape[j])) {
      throw new NimbleError({ code: 'invalid_result', message: `result tensor ${i} is ${t.name} [${t.shape}], expected ${e.name} [${e.shape}]` })
    }
    for (let j = 0; j < t.data.length; j++) {
      if (!Number.isFinite(t.data[j])) throw new NimbleError({ code: 'invalid_result', message: `result tensor ${t.name} holds a non-finite value at index ${j}` })
    }
  })
  return tensors
}

export class Validator {
  /** Told when a result makes other live copies of its task (straggler spares) unnecessary. */
  onCancelled?: (instanceId: number, deviceId: string) => void

  constructor(private ctx: Ctx) {}

  /** Accepts or rejects one result. Throws NimbleError (stale_lease, invalid_result) with the reason for the device. */
  async submit(deviceId: string, meta: TaskResultMeta, bytes: Uint8Array): Promise<{ jobId: string; round: number; flops: number; observedMs: number }> {
    const { db, log } = this.ctx
    const inst = await db.selectFrom('instances').selectAll().where('id', '=', meta.instanceId).executeTakeFirst()
    if (!inst || inst.device_id !== deviceId || inst.task_id !== meta.taskId) {
      throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} is not held by this device` })
    }
    if (inst.state !== 'leased') {
      throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} is no longer live (${inst.state}); the task went to another device` })
    }
    const task = await db.selectFrom('tasks').selectAll().where('id', '=', inst.task_id).executeTakeFirstOrThrow()
    const payload = JSON.parse(task.payload_json) as { model: ModelSpec; shapes?: { name: string; shape: number[] }[] }
    const expected = payload.shapes ?? weightShapes(payload.model)
    const now = this.ctx.now()
    try {
      checkResult(expected, bytes)
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      await db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('instances').set({ state: 'invalid', finished_at: now, error: message.slice(0, 500), result_bytes: bytes.byteLength }).where('id', '=', inst.id).where('state', '=', 'leased').executeTakeFirst()
        if (Number(r.numUpdatedRows) !== 1) return
        await trx.updateTable('tasks').set({ state: 'ready', updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').execute()
        await trx.updateTable('devices').set((eb) => ({ tasks_invalid: eb('tasks_invalid', '+', 1) })).where('id', '=', deviceId).execute()
      })
      transition(log, 'instance', inst.id, 'leased', 'invalid', { task: task.id, device: deviceId, reason: message.slice(0, 120) })
      transition(log, 'task', task.id, 'leased', 'ready', { reason: 'invalid result' })
      await failJobIfExhausted(this.ctx, task.id)
      this.ctx.bus.emit('tasks:ready')
      throw e
    }
    const ref = this.ctx.blobs.put(bytes)
    let spares: { id: number; device_id: string }[] = []
    const accepted = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('instances')
        .set({
          state: 'valid',
          finished_at: now,
          elapsed_ms: meta.elapsedMs,
          result_bytes: bytes.byteLength,
          reported_loss: meta.loss !== null && Number.isFinite(meta.loss) ? meta.loss : null,
          // What the owner pays: the device-time the coordinator saw, at the class price fixed at lease.
          cost: ((now - inst.leased_at) / 1000) * (inst.price_per_s ?? 0),
        })
        .where('id', '=', inst.id)
        .where('state', '=', 'leased')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) !== 1) return false
      const t = await trx.updateTable('tasks').set({ state: 'done', result_hash: ref.hash, updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').executeTakeFirst()
      if (Number(t.numUpdatedRows) !== 1) throw new NimbleError({ code: 'stale_lease', message: `task ${task.id} is no longer waiting for a result` })
      await trx.updateTable('devices').set((eb) => ({ tasks_valid: eb('tasks_valid', '+', 1) })).where('id', '=', deviceId).execute()
      // A spare copy still running elsewhere is no longer needed.
      spares = await trx.selectFrom('instances').select(['id', 'device_id']).where('task_id', '=', task.id).where('state', '=', 'leased').where('id', '!=', inst.id).execute()
      if (spares.length) await trx.updateTable('instances').set({ state: 'cancelled', finished_at: now, error: 'another copy finished first' }).where('id', 'in', spares.map((x) => x.id)).execute()
      await trx.insertInto('credits').values({ instance_id: inst.id, task_id: task.id, job_id: task.job_id, device_id: deviceId, flops: task.flops, created_at: now }).execute()
      return true
    })
    if (!accepted) throw new NimbleError({ code: 'stale_lease', message: `lease ${meta.instanceId} lapsed while its result was checked` })
    transition(log, 'instance', inst.id, 'leased', 'valid', { task: task.id, device: deviceId })
    for (const sp of spares) {
      transition(log, 'instance', sp.id, 'leased', 'cancelled', { task: task.id, device: sp.device_id, reason: 'another copy finished first' })
      this.onCancelled?.(sp.id, sp.device_id)
    }
    transition(log, 'task', task.id, 'leased', 'done', { job: task.job_id, round: task.round })
    this.ctx.bus.emit('task:done', task.job_id, task.round)
    return { jobId: task.job_id, round: task.round, flops: task.flops, observedMs: now - inst.leased_at }
  }
}
