/** Read-only figures about verification for dashboards: a job's outcomes, the fleet's trust tiers. */
import type { VerificationCounts } from '../lib/protocol'
import { tier } from '../lib/verify/trust'
import type { Ctx } from './context'
import { trustOf, trustPolicy } from './trust'

export async function verificationCounts(ctx: Ctx, jobId: string): Promise<VerificationCounts> {
  const { db } = ctx
  const [verdicts, replicated, instances] = await Promise.all([
    db.selectFrom('tasks').select(['verdict', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', jobId).where('state', '=', 'done').groupBy('verdict').execute(),
    db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', jobId).where('replicas', '>', 1).executeTakeFirst(),
    db.selectFrom('instances').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', jobId).where('state', 'in', ['valid', 'invalid']).groupBy('state').execute(),
  ])
  const v = (k: string) => Number(verdicts.find((r) => r.verdict === k)?.n ?? 0)
  const i = (k: string) => Number(instances.find((r) => r.state === k)?.n ?? 0)
  return { replicated: Number(replicated?.n ?? 0), agreed: v('agreed'), disagreed: v('majority'), rejected: i('invalid'), spotChecked: v('spot-checked'), accepted: i('valid') }
}

export async function trustDistribution(ctx: Ctx): Promise<{ new: number; trusted: number; banned: number }> {
  const rows = await ctx.db.selectFrom('devices').select(['trust_streak', 'tasks_invalid', 'trust_expired', 'banned_at']).execute()
  const policy = trustPolicy(ctx.config)
  const out = { new: 0, trusted: 0, banned: 0 }
  for (const r of rows) out[tier(trustOf(r), policy)]++
  return out
}
