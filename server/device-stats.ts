/** A device's own verification record, sent to it after each result (`device:stats`) and shown on the contribute page. */
import type { DeviceStats } from '../lib/protocol'
import { tier } from '../lib/verify/trust'
import type { Ctx } from './context'
import { trustOf, trustPolicy } from './trust'

export async function deviceStats(ctx: Ctx, deviceId: string): Promise<DeviceStats | null> {
  const d = await ctx.db.selectFrom('devices').select(['tasks_valid', 'tasks_invalid', 'trust_streak', 'trust_expired', 'banned_at']).where('id', '=', deviceId).executeTakeFirst()
  if (!d) return null
  const pending = await ctx.db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('device_id', '=', deviceId).where('state', '=', 'pending').executeTakeFirst()
  return { tasksDone: d.tasks_valid, tasksRejected: d.tasks_invalid, tasksPending: Number(pending?.n ?? 0), trust: tier(trustOf(d), trustPolicy(ctx.config)) }
}
