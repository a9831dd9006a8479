/** A new job row: what the creator knows, with every state column at its starting value. */
import type { Insertable } from 'kysely'
import type { Ctx } from './context'
import type { JobTable } from './store/schema'

export type NewJob = Pick<JobTable, 'id' | 'name' | 'type' | 'dataset_id' | 'request_json' | 'plan_json' | 'total_rounds'> & { weights_hash?: string | null }

export async function insertJob(ctx: Ctx, job: NewJob): Promise<void> {
  const now = ctx.now()
  // The owner's limits travel in the request (JobLimits in lib/protocol/api.ts).
  const req = JSON.parse(job.request_json) as { budget?: number; deadlineMinutes?: number; priority?: number }
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
    priority: req.priority ?? 0,
    budget: req.budget ?? null,
    deadline: req.deadlineMinutes !== undefined ? now + Math.round(req.deadlineMinutes * 60_000) : null,
    estimate_json: null,
    ...job,
  }
  await ctx.db.insertInto('jobs').values(row).execute()
}
