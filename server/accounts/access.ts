/**
 * Ownership checks: an owner reaches only their own jobs, datasets and models (anything else
 * answers 404, as if it did not exist), and a job may only use its owner's data and models.
 */
import { NimbleError, type CreateJobBody } from '../../lib/protocol'
import type { Ctx } from '../context'
import { assertOwns, type Principal } from './principal'

type Owned = 'jobs' | 'datasets' | 'models'
const NOUN: Record<Owned, string> = { jobs: 'job', datasets: 'dataset', models: 'model' }

export async function ownerOf(ctx: Ctx, table: Owned, id: string): Promise<string | undefined> {
  const row = await ctx.db.selectFrom(table).select('owner_id').where('id', '=', id).executeTakeFirst()
  return row?.owner_id
}

export async function assertOwned(ctx: Ctx, who: Principal, table: Owned, id: string, field?: string): Promise<void> {
  if (who.admin) return
  assertOwns(who, await ownerOf(ctx, table, id), `${NOUN[table]} ${id}`, field)
}

/** Every dataset, model and job a new job names must be the caller's. */
export async function assertJobRefsOwned(ctx: Ctx, who: Principal, body: CreateJobBody): Promise<void> {
  if (who.admin) return
  await assertOwned(ctx, who, 'datasets', body.datasetId, 'datasetId')
  if (body.type === 'infer') {
    if (body.sourceJobId) await assertOwned(ctx, who, 'jobs', body.sourceJobId, 'sourceJobId')
    if (body.modelId) await assertOwned(ctx, who, 'models', body.modelId, 'modelId')
  } else if (body.model.template === 'custom' && body.model.modelId) {
    await assertOwned(ctx, who, 'models', body.model.modelId, 'model.modelId')
  }
}

/** Refuses a new job when the owner already has NIMBLE_MAX_JOBS_PER_OWNER queued or running. */
export async function assertJobQuota(ctx: Ctx, who: Principal): Promise<void> {
  if (who.admin) return
  const limit = ctx.config.NIMBLE_MAX_JOBS_PER_OWNER
  const row = await ctx.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', who.ownerId).where('status', 'in', ['queued', 'running']).executeTakeFirst()
  if (Number(row?.n ?? 0) >= limit) {
    throw new NimbleError({ code: 'too_many_jobs', message: `you already have ${limit} jobs queued or running, the limit (NIMBLE_MAX_JOBS_PER_OWNER): wait for one to finish or cancel one` })
  }
}

export async function setOwner(ctx: Ctx, table: Owned, id: string, who: Principal): Promise<void> {
  await ctx.db.updateTable(table).set({ owner_id: who.ownerId }).where('id', '=', id).execute()
}
