/** A new job row: what the creator knows, with every state column at its starting value. */
import type { Insertable } from 'kysely'
import type { Ctx } from './context'
import type { JobTable } from './store/schema'

export type NewJob = Pick<JobTable, 'id' | 'name' | 'type' | 'dataset_id' | 'request_json' | 'plan_json' | 'total_rounds'> & { weights_hash?: string | null }

export async function insertJob(ctx: Ctx, job: NewJob): Promise<void> {
  const now = ctx.now()
  const row: Insertable<JobTable> = {
    status: 'queued',
    round: 0,
    weights_hash: null,
    metrics_json: null,
    test_json: null,
    error: null,
    outer_hash: null,
    best_json: null,
    validation_json: null,
    outputs_hash: null,
    created_at: now,
    updated_at: now,
    ...job,
  }
  await ctx.db.insertInto('jobs').values(row).execute()
}
