/**
 * Replica placement for the dispatcher: for each ready task, the devices that must not get
 * it. One result per device per task and per wallet (BOINC's "one result per host per
 * workunit"): devices that hold or held a copy of the task, every device of the same payout
 * wallet, and, while other candidates remain, devices on the same network (/24). Banned
 * devices get nothing at all: callers leave them out (bannedAmong), and they are not counted
 * as candidates here.
 *
 * Reads: instances of the ready tasks, devices (address, network; banned_at in bannedAmong).
 * Writes: nothing.
 */
import { replicaConflicts, type Holder } from '../lib/verify/trust'
import type { Ctx } from './context'
import { inChunksAtOnce } from './store/chunks'
import { preparedIn } from './store/prepared'

/** For each of these tasks that has any, the devices among `online` that must not get a copy of it; `banned` (bannedAmong) are left out of it all. */
export async function replicaAvoid(ctx: Ctx, taskIds: number[], online: { id: string }[], banned: ReadonlySet<string>): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>()
  const allowed = online.filter((d) => !banned.has(d.id))
  if (taskIds.length === 0 || allowed.length === 0) return out
  const { db } = ctx
  const copies = await db
    .selectFrom('instances')
    .innerJoin('devices', 'devices.id', 'instances.device_id')
    .select(['instances.task_id', 'devices.id', 'devices.address', 'devices.network'])
    .where('instances.task_id', 'in', taskIds)
    .where('instances.state', 'in', ['pending', 'valid', 'invalid', 'leased'])
    .execute()
  const candidates: Holder[] = []
  for (const r of await inChunksAtOnce(allowed.map((d) => d.id), (part) => placesIn.rows(db, part))) candidates.push({ deviceId: r.id, address: r.address, network: r.network })
  const holdersOf = new Map<number, Holder[]>()
  for (const c of copies) holdersOf.set(c.task_id, [...(holdersOf.get(c.task_id) ?? []), { deviceId: c.id, address: c.address, network: c.network }])
  for (const [id, holders] of holdersOf) {
    const avoid = replicaConflicts(holders, candidates)
    if (avoid.length) out.set(id, avoid)
  }
  return out
}

/** The devices among `online` that are banned. */
export async function bannedAmong(ctx: Ctx, online: { id: string }[]): Promise<Set<string>> {
  const out = new Set<string>()
  for (const r of await inChunksAtOnce(online.map((d) => d.id), (part) => bannedIn.rows(ctx.db, part))) out.add(r.id)
  return out
}
const placesIn = preparedIn<{ id: string; address: string | null; network: string | null }>((ids, db) => db.selectFrom('devices').select(['id', 'address', 'network']).where('id', 'in', ids))
const bannedIn = preparedIn<{ id: string }>((ids, db) => db.selectFrom('devices').select('id').where('id', 'in', ids).where('banned_at', 'is not', null))
