/** A device's own verification record, sent to it after each result (`device:stats`) and shown on the contribute page. */
import type { DeviceStats } from '../lib/protocol'
import { tier } from '../lib/verify/trust'
import type { Ctx } from './context'
import { trustOf, trustPolicy } from './trust'
import { preparedIn } from './store/prepared'
import { inChunksAtOnce } from './store/chunks'

// Read for every device about once every two seconds under load: one statement for all the
// devices due in a turn (on PostgreSQL each statement is a round trip), built once.
const records = preparedIn((ids, db) =>
  db
    .selectFrom('devices')
    .select([
      'id',
      'tasks_valid',
      'tasks_invalid',
      'trust_streak',
      'trust_expired',
      'banned_at',
      (eb) => eb.selectFrom('instances').select((e) => e.fn.countAll<number>().as('n')).whereRef('instances.device_id', '=', 'devices.id').where('instances.state', '=', 'pending').as('pending'),
    ])
    .where('id', 'in', ids),
)

/** The records of these devices (an unknown device is left out). */
export async function devicesStats(ctx: Ctx, deviceIds: string[]): Promise<Map<string, DeviceStats>> {
  const policy = trustPolicy(ctx.config)
  const out = new Map<string, DeviceStats>()
  for (const d of await inChunksAtOnce([...new Set(deviceIds)], (part) => records.rows(ctx.db, part))) {
    out.set(d.id, { tasksDone: d.tasks_valid, tasksRejected: d.tasks_invalid, tasksPending: Number(d.pending ?? 0), trust: tier(trustOf(d), policy) })
  }
  return out
}

export async function deviceStats(ctx: Ctx, deviceId: string): Promise<DeviceStats | null> {
  return (await devicesStats(ctx, [deviceId])).get(deviceId) ?? null
}

/**
 * Reads records for whoever asks within one turn of the event loop, in one go: each of the
 * connected devices wants its own after its results, a thousand devices about five hundred
 * times a second.
 */
export class StatsReader {
  private waiting = new Map<string, { resolve: (s: DeviceStats | null) => void; reject: (e: unknown) => void }[]>()

  constructor(private ctx: Ctx) {}

  read(deviceId: string): Promise<DeviceStats | null> {
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) setImmediate(() => void this.flush())
      const list = this.waiting.get(deviceId)
      if (list) list.push({ resolve, reject })
      else this.waiting.set(deviceId, [{ resolve, reject }])
    })
  }

  private async flush(): Promise<void> {
    const due = this.waiting
    this.waiting = new Map()
    try {
      const stats = await devicesStats(this.ctx, [...due.keys()])
      for (const [id, list] of due) for (const w of list) w.resolve(stats.get(id) ?? null)
    } catch (e) {
      for (const list of due.values()) for (const w of list) w.reject(e)
    }
  }
}
