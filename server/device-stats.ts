/** A device's own verification record, sent to it after each result (`device:stats`) and shown on the contribute page. */
import type { DeviceStats } from '../lib/protocol'
import { tier } from '../lib/verify/trust'
import type { Ctx } from './context'
import { trustOf, trustPolicy } from './trust'
import { prepared } from './store/prepared'

// Read for every device about once every two seconds under load: built once (store/prepared.ts).
const record = prepared(($, db) => db.selectFrom('devices').select(['tasks_valid', 'tasks_invalid', 'trust_streak', 'trust_expired', 'banned_at']).where('id', '=', $(0)))
const waiting = prepared(($, db) => db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('device_id', '=', $(0)).where('state', '=', 'pending'))

export async function deviceStats(ctx: Ctx, deviceId: string): Promise<DeviceStats | null> {
  const d = await record.first(ctx.db, deviceId)
  if (!d) return null
  const pending = await waiting.first(ctx.db, deviceId)
  return { tasksDone: d.tasks_valid, tasksRejected: d.tasks_invalid, tasksPending: Number(pending?.n ?? 0), trust: tier(trustOf(d), trustPolicy(ctx.config)) }
}
