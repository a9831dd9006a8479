/**
 * A task that keeps failing (a model the devices cannot run, data that breaks them) must
 * not circle the fleet forever: past NIMBLE_MAX_ATTEMPTS failed, lapsed or rejected tries
 * its job fails with the last reason a device gave.
 */
import type { Ctx } from './context'
import { transition } from './log'

export async function failJobIfExhausted(ctx: Ctx, taskId: number): Promise<boolean> {
  const { db } = ctx
  const bad = await db
    .selectFrom('instances')
    .select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('id').as('last')])
    .where('task_id', '=', taskId)
    .where('state', 'in', ['failed', 'expired', 'invalid'])
    .executeTakeFirst()
  if (Number(bad?.n ?? 0) < ctx.config.NIMBLE_MAX_ATTEMPTS) return false
  const task = await db.selectFrom('tasks').select(['job_id', 'round', 'shard']).where('id', '=', taskId).executeTakeFirstOrThrow()
  const last = bad?.last ? await db.selectFrom('instances').select(['error', 'state']).where('id', '=', Number(bad.last)).executeTakeFirst() : null
  const why = last?.error ?? (last?.state === 'expired' ? 'the device did not answer before its lease deadline' : 'unknown')
  const now = ctx.now()
  const failed = await db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('jobs')
      .set({ status: 'failed', error: `task ${taskId} (round ${task.round}, shard ${task.shard}) failed ${bad!.n} times; last reason: ${why}`, updated_at: now })
      .where('id', '=', task.job_id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) !== 1) return false
    await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: now }).where('job_id', '=', task.job_id).where('state', 'in', ['ready', 'leased']).execute()
    return true
  })
  if (failed) {
    transition(ctx.log, 'job', task.job_id, 'running', 'failed', { task: taskId, attempts: Number(bad!.n) })
    ctx.bus.emit('job:changed', task.job_id)
  }
  return failed
}
