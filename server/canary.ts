/**
 * Canaries: tasks whose answer the coordinator already knows. Now and then an accepted task
 * is planted again as a canary (same payload, the accepted result kept as its known answer);
 * whoever runs it is checked against that answer alone, with no replica needed. A cheater
 * cannot tell a canary from real work, and a canary never reaches the assimilator (its round
 * is offset past any real round).
 *
 * Reads:  the accepted task, its result blob.
 * Writes: a canary task row (round + CANARY_ROUND, verdict 'canary', result_hash = the known
 *         answer) ready=>leased=>done (agrees: instance valid, credited) or =>cancelled
 *         (disagrees: instance invalid, a strike against the device).
 */
import { unpackTensors, type NamedTensor } from '../lib/protocol'
import { compareResults } from '../lib/verify/compare'
import type { Ctx } from './context'
import { transition } from './log'
import { taskPayload } from './payloads'
import type { TaskRow } from './store/schema'
import { recordTrust } from './trust'

/** Canary rounds start here: far past any real round, so planner and assimilator never see them. */
export const CANARY_ROUND = 1_000_000

export function isCanary(task: Pick<TaskRow, 'verdict' | 'round'>): boolean {
  return task.verdict === 'canary' && task.round >= CANARY_ROUND
}

/** What planting a task as a canary copies of it; its payload is read when it is planted (a small share of tasks). */
export type PlantableTask = Pick<TaskRow, 'id' | 'job_id' | 'round' | 'shard' | 'rows' | 'flops' | 'verdict'>

/** Plants `task` (just accepted with `answerHash`) as a canary when `draw` < NIMBLE_CANARY_RATE. */
export async function maybePlantCanary(ctx: Ctx, task: PlantableTask, answerHash: string, draw: number): Promise<void> {
  if (draw >= ctx.config.NIMBLE_CANARY_RATE || isCanary(task)) return
  const row = await ctx.db.selectFrom('tasks').select('payload_json').where('id', '=', task.id).executeTakeFirst()
  // Parsed here, not through the cache: the task is settled and its payload was just forgotten.
  if (!row || (JSON.parse(row.payload_json) as { kind: string }).kind === 'stage') return
  const now = ctx.now()
  const r = await ctx.db
    .insertInto('tasks')
    .values({ job_id: task.job_id, round: task.round + CANARY_ROUND, shard: task.shard, rows: task.rows, state: 'ready', payload_json: row.payload_json, flops: task.flops, attempts: 0, result_hash: answerHash, verdict: 'canary', replicas: 1, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['job_id', 'round', 'shard']).doNothing())
    .executeTakeFirst()
  if (Number(r.numInsertedOrUpdatedRows ?? 0) < 1) return
  ctx.log.info({ task: task.id, job: task.job_id }, `task ${task.id} planted as a canary with its accepted answer`)
  ctx.bus.emit('tasks:ready')
}

/** Judges a canary's result against the known answer. Returns whether it agreed. */
export async function judgeCanary(ctx: Ctx, task: TaskRow, inst: { id: number; device_id: string }, result: NamedTensor[], resultHash: string): Promise<boolean> {
  const payload = taskPayload<{ kind: string; weights?: { hash: string } }>(ctx.db, task)
  const base = payload.kind === 'train' && payload.weights ? unpackTensors(ctx.blobs.readArrayBuffer(payload.weights.hash)) : null
  const known = unpackTensors(ctx.blobs.readArrayBuffer(task.result_hash!))
  const cmp = compareResults(result, known, base)
  const now = ctx.now()
  const changed = await ctx.db.transaction().execute(async (trx) => {
    const t = await trx.updateTable('tasks').set({ state: cmp.agree ? 'done' : 'cancelled', updated_at: now }).where('id', '=', task.id).where('state', '=', 'leased').executeTakeFirst()
    if (Number(t.numUpdatedRows) !== 1) return false
    await trx
      .updateTable('instances')
      .set({ state: cmp.agree ? 'valid' : 'invalid', result_hash: resultHash, finished_at: now, error: cmp.agree ? null : `canary: disagrees with the known answer (distance ${cmp.distance.toExponential(2)})` })
      .where('id', '=', inst.id)
      .execute()
    await trx.updateTable('devices').set((eb) => (cmp.agree ? { tasks_valid: eb('tasks_valid', '+', 1) } : { tasks_invalid: eb('tasks_invalid', '+', 1) })).where('id', '=', inst.device_id).execute()
    if (cmp.agree) await trx.insertInto('credits').values({ instance_id: inst.id, task_id: task.id, job_id: task.job_id, device_id: inst.device_id, flops: task.flops, created_at: now }).execute()
    return true
  })
  if (!changed) return true
  transition(ctx.log, 'instance', inst.id, 'leased', cmp.agree ? 'valid' : 'invalid', { task: task.id, device: inst.device_id, canary: cmp.distance.toExponential(2) })
  transition(ctx.log, 'task', task.id, 'leased', cmp.agree ? 'done' : 'cancelled', { canary: 'yes' })
  await recordTrust(ctx, inst.device_id, cmp.agree ? 'valid' : 'invalid', `canary task ${task.id}`)
  return cmp.agree
}
