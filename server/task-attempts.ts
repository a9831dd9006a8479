/**
 * A task that keeps failing (a model the devices cannot run, data that breaks them) must
 * not circle the fleet forever: past NIMBLE_MAX_ATTEMPTS failed, lapsed or rejected tries
 * its job fails with the last reason a device gave.
 */
import type { Ctx } from './context'
import type { Kysely } from 'kysely'
import { transition } from './log'
import type { Database } from './store/schema'

export async function failJobIfExhausted(ctx: Ctx, taskId: number): Promise<boolean> {
  const { db } = ctx
  const bad = await db
    .selectFrom('instances')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('id').as('last')])
    .where('task_id', '=', taskId)
    .where('state', 'in', ['failed', 'expired', 'invalid'])
    .executeTakeFirst()
  if (Number(bad?.n ?? 0) < ctx.config.NIMBLE_MAX_ATTEMPTS) return false
  const last = bad?.last ? await db.selectFrom('instances').select(['error', 'state']).where('id', '=', Number(bad.last)).executeTakeFirst() : null
  const why = last?.error ?? (last?.state === 'expired' ? 'the device did not answer before its lease deadline' : 'unknown')
  return failJobOfTask(ctx, taskId, (task) => `task ${taskId} (round ${task.round}, shard ${task.shard}) failed ${bad!.n} times; last reason: ${why}`, { logged: { attempts: Number(bad!.n) } })
}

/**
 * Fails the job of `taskId` (if still queued or running) with `error`, in one transaction: its
 * ready and leased tasks are cancelled, its live leases too (`leases:cancelled` tells their
 * devices to drop them), and `failed` (the instance that showed the fault), if given, is
 * recorded as failed with its reason. Returns whether it failed the job.
 */
export async function failJobOfTask(
  ctx: Ctx,
  taskId: number,
  error: (task: { round: number; shard: number }) => string,
  opts: { failed?: { instanceId: number; error: string }; logged?: Record<string, unknown> } = {},
): Promise<boolean> {
  const { db } = ctx
  const task = await db.selectFrom('tasks').select(['job_id', 'round', 'shard']).where('id', '=', taskId).executeTakeFirstOrThrow()
  const now = ctx.now()
  const live = await db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('jobs')
      .set({ status: 'failed', error: error(task), updated_at: now })
      .where('id', '=', task.job_id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) !== 1) return null
    if (opts.failed) {
      await trx.updateTable('instances').set({ state: 'failed', finished_at: now, error: opts.failed.error.slice(0, 500) }).where('id', '=', opts.failed.instanceId).where('state', '=', 'leased').execute()
    }
    return endJobWork(trx, task.job_id, now)
  })
  if (!live) return false
  transition(ctx.log, 'job', task.job_id, 'running', 'failed', { task: taskId, ...opts.logged })
  ctx.bus.emit('job:changed', task.job_id)
  if (live.length) ctx.bus.emit('leases:cancelled', live, `job ${task.job_id} failed`)
  return true
}

/**
 * Inside the transaction that ends a job (cancelled or failed): its live leases and its ready and
 * leased tasks are cancelled. Returns the leases, which their devices must be told to drop.
 */
export async function endJobWork(trx: Kysely<Database>, jobId: string, now: number): Promise<{ instanceId: number; deviceId: string }[]> {
  const live = await trx.updateTable('instances').set({ state: 'cancelled', finished_at: now }).where('job_id', '=', jobId).where('state', '=', 'leased').returning(['id', 'device_id']).execute()
  await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: now }).where('job_id', '=', jobId).where('state', 'in', ['ready', 'leased']).execute()
  return live.map((l) => ({ instanceId: l.id, deviceId: l.device_id }))
}
