/**
 * Replica placement for the dispatcher: for each ready task, the devices that must not get
 * it. One result per device per task and per wallet (BOINC's "one result per host per
 * workunit"): devices that hold or held a copy of the task, every device of the same payout
 * wallet, and, while other candidates remain, devices on the same network (/24). Banned
 * devices get nothing at all.
 *
 * Reads: instances of the ready tasks, devices (address, network, banned_at).
 * Writes: nothing.
 */
import { replicaConflicts, type Holder } from '../lib/verify/trust'
import type { Ctx } from './context'
import { inChunks } from './store/chunks'
import { preparedIn } from './store/prepared'

export async function replicaAvoid(ctx: Ctx, taskIds: number[], online: { id: string }[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>()
  if (taskIds.length === 0 || online.length === 0) return out
  const { db } = ctx
  const copies = await db
    .selectFrom('instances')
    .innerJoin('devices', 'devices.id', 'instances.device_id')
    .select(['instances.task_id', 'devices.id', 'devices.address', 'devices.network'])
    .where('instances.task_id', 'in', taskIds)
    .where('instances.state', 'in', ['pending', 'valid', 'invalid', 'leased'])
    .execute()
  const rows = await db.selectFrom('devices').select(['id', 'address', 'network', 'banned_at']).where('id', 'in', online.map((d) => d.id)).execute()
  const banned = rows.filter((r) => r.banned_at !== null).map((r) => r.id)
  const candidates: Holder[] = rows.filter((r) => r.banned_at === null).map((r) => ({ deviceId: r.id, address: r.address, network: r.network }))
  for (const id of taskIds) {
    const holders = copies.filter((c) => c.task_id === id).map((c) => ({ deviceId: c.id, address: c.address, network: c.network }))
    const avoid = [...replicaConflicts(holders, candidates), ...banned]
    if (avoid.length) out.set(id, avoid)
  }
  return out
}

/** The devices among `online` that are banned. */
export async function bannedAmong(ctx: Ctx, online: { id: string }[]): Promise<Set<string>> {
  const out = new Set<string>()
  for (const part of inChunks(online.map((d) => d.id))) for (const r of await bannedIn.rows(ctx.db, part)) out.add(r.id)
  return out
}
const bannedIn = preparedIn<{ id: string }>((ids, db) => db.selectFrom('devices').select('id').where('id', 'in', ids).where('banned_at', 'is not', null))
