/**
 * The scheduling side of a job as its owner sees it: what it has cost against its budget and
 * deadline, the estimate made at submission, and why recent tasks went where they went.
 */
import type { JobEstimate, JobView, Placement } from '../lib/protocol'
import type { Ctx } from './context'
import type { JobRow } from './store/schema'

const RECENT = 24

type Stored = { reason?: string; expectedMs?: number; cost?: number; late?: boolean; runnerUp?: { device: string; expectedMs: number; cost: number }; rejected?: { device: string; why: string }[]; straggler?: string }

export async function schedulingView(ctx: Ctx, row: JobRow): Promise<NonNullable<JobView['scheduling']>> {
  const { db } = ctx
  const [spent, spares, recent] = await Promise.all([
    db.selectFrom('instances').select((eb) => eb.fn.sum<number>('cost').as('cost')).where('job_id', '=', row.id).where('state', '=', 'valid').executeTakeFirst(),
    db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', row.id).where('spare', '=', 1).executeTakeFirst(),
    db
      .selectFrom('instances as i')
      .innerJoin('tasks as t', 't.id', 'i.task_id')
      .leftJoin('devices as d', 'd.id', 'i.device_id')
      .select(['i.id', 'i.task_id', 't.round', 't.verdict', 'i.device_id', 'd.name', 'i.state', 'i.spare', 'i.expected_ms', 'i.leased_at', 'i.finished_at', 'i.cost', 'i.explain_json'])
      .where('i.job_id', '=', row.id)
      .orderBy('i.id', 'desc')
      .limit(RECENT)
      .execute(),
  ])
  const best = row.best_json ? (JSON.parse(row.best_json) as { stoppedBy?: 'budget' }) : null
  const placements: Placement[] = recent.map((r) => {
    const e: Stored = r.explain_json ? (JSON.parse(r.explain_json) as Stored) : {}
    return {
      instanceId: r.id,
      taskId: r.task_id,
      round: r.round,
      device: r.name ?? r.device_id,
      // Canaries (known-answer checks of a device, server/canary.ts) are the platform's cost, not the owner's.
      reason: r.verdict === 'canary' ? 'canary' : e.reason === 'spare' && e.straggler ? `spare copy: ${e.straggler} ran well past its expected time` : (e.reason ?? 'unknown'),
      state: r.state,
      spare: r.spare === 1,
      expectedMs: r.expected_ms,
      actualMs: r.finished_at !== null ? r.finished_at - r.leased_at : null,
      leasedAt: r.leased_at,
      finishedAt: r.finished_at,
      cost: r.cost,
      late: e.late ?? false,
      runnerUp: e.runnerUp ?? null,
      rejected: e.rejected ?? [],
    }
  })
  return {
    cost: Number(spent?.cost ?? 0),
    budget: row.budget,
    deadline: row.deadline !== null ? new Date(row.deadline).toISOString() : null,
    priority: row.priority,
    stoppedBy: best?.stoppedBy ?? null,
    estimate: row.estimate_json ? (JSON.parse(row.estimate_json) as JobEstimate) : null,
    spares: Number(spares?.n ?? 0),
    placements,
  }
}
