/**
 * Leases: every assignment has a deadline.
 *
 * Reads:  instances in state leased.
 * Writes: instances leased=>expired (deadline passed), leased=>abandoned (device left,
 *         the coordinator restarted, or the coordinator holding the device's socket died);
 *         their tasks leased=>ready.
 * Several coordinators: each lease records its node (instances.node_id). A node frees only
 * its own leases and those of dead nodes (no heartbeat for Cluster.deadAfterMs), never a
 * live node's; the sweeps run in one coordinator at a time (advisory lock).
 * Wakes:  the dispatcher (tasks:ready).
 */
import type { Ctx } from './context'
import { transition } from './log'
import { failJobIfExhausted } from './task-attempts'
import type { Registry } from './registry'
import { inChunks } from './store/chunks'
import { recordTrust } from './trust'

export class Leases {
  private timer: NodeJS.Timeout | null = null

  constructor(
    private ctx: Ctx,
    private registry: Registry,
  ) {}

  start(intervalMs = 1000): void {
    const sweep = async () => {
      await this.ctx.cluster.exclusive('leases:sweep', async () => {
        await this.expire()
        await this.releaseDeadNodes()
      })
    }
    this.timer = setInterval(() => void sweep().catch((e) => this.ctx.log.error({ err: e }, 'lease sweep failed')), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Leases past their deadline go back to the queue; the device is told to drop the task. */
  async expire(): Promise<number> {
    const now = this.ctx.now()
    const late = await this.ctx.db.selectFrom('instances').select('id').where('state', '=', 'leased').where('deadline', '<', now).execute()
    const freed = await this.free(late.map((l) => l.id), 'expired')
    // Per device: its counter once, and its trust one lapse after another (a ban stops them).
    const byDevice = new Map<string, number[]>()
    for (const inst of freed) byDevice.set(inst.device_id, [...(byDevice.get(inst.device_id) ?? []), inst.id])
    for (const [deviceId, ids] of byDevice) {
      await this.ctx.db.updateTable('devices').set((eb) => ({ tasks_expired: eb('tasks_expired', '+', ids.length) })).where('id', '=', deviceId).execute()
      await recordTrust(this.ctx, deviceId, 'expired', `lease ${ids.join(', ')} passed ${ids.length > 1 ? 'their deadlines' : 'its deadline'}`, ids.length)
      const s = this.registry.get(deviceId)
      for (const id of ids) if (s?.leases.delete(id)) s.link.cancel(id, 'lease expired')
    }
    if (late.length) this.ctx.bus.emit('tasks:ready')
    return late.length
  }

  /**
   * A device disconnected: the leases its session held go back to the queue. They are found by
   * id (the session's, in memory), not by device: no index leads from a device to its leases
   * (one more b-tree written at every lease and verdict), and a search of every live lease for
   * each device made a storm of disconnects quadratic in the fleet (D devices x L live leases).
   * A lease committed after its device left is freed by the dispatcher (Dispatcher.onOrphaned);
   * any other lapses at its deadline.
   */
  async releaseDevice(deviceId: string, instanceIds: Iterable<number>): Promise<number> {
    const ids = [...instanceIds]
    if (ids.length === 0) return 0
    return new Promise((resolve, reject) => {
      if (this.leaving.push({ deviceId, ids, resolve, reject }) === 1) setImmediate(() => void this.releaseLeaving())
    })
  }

  /** Devices that left in this turn of the event loop, with the leases their sessions held. */
  private leaving: { deviceId: string; ids: number[]; resolve: (n: number) => void; reject: (e: unknown) => void }[] = []

  /**
   * The leases of every device that left in the same turn, freed together: when a thousand
   * leave at once (a network blip, a proxy restarting), a chunk of leases across devices is one
   * transaction, not one (or more) per device.
   */
  private async releaseLeaving(): Promise<void> {
    const batch = this.leaving
    this.leaving = []
    try {
      const holders = new Map<number, string>()
      const caller = new Map<number, number>()
      for (const [k, b] of batch.entries())
        for (const id of b.ids) {
          holders.set(id, b.deviceId)
          caller.set(id, k)
        }
      const freed = await this.free([...holders.keys()], 'abandoned', { holder: (id) => holders.get(id)! })
      const counts = batch.map(() => 0)
      for (const f of freed) counts[caller.get(f.id)!]++
      if (freed.length) this.ctx.bus.emit('tasks:ready')
      for (const [k, b] of batch.entries()) b.resolve(counts[k])
    } catch (e) {
      for (const b of batch) b.reject(e)
    }
  }

  /** A device gave up one task (it failed on its side): back to the queue. */
  async releaseInstance(instanceId: number, deviceId: string, reason: string): Promise<boolean> {
    return this.releaseOne(instanceId, deviceId, 'failed', reason)
  }

  /**
   * One lease back to the queue through no fault of its device: the coordinator could not
   * process its result. The device has let go of it, so it is no longer among the leases its
   * session would free when it leaves.
   */
  async abandon(instanceId: number, deviceId: string): Promise<boolean> {
    return this.releaseOne(instanceId, deviceId, 'abandoned')
  }

  private async releaseOne(instanceId: number, deviceId: string, to: 'failed' | 'abandoned', reason?: string): Promise<boolean> {
    const ok = (await this.free([instanceId], to, { reason, holder: () => deviceId })).length === 1
    if (ok) this.ctx.bus.emit('tasks:ready')
    return ok
  }

  /**
   * Leases whose device socket lived on a coordinator that is gone. On SQLite (one coordinator)
   * that is every lease but this process's; with several, those of nodes without a heartbeat.
   */
  async releaseDeadNodes(): Promise<number> {
    const { db, cluster } = this.ctx
    const live = await cluster.liveNodes()
    const held = await db.selectFrom('instances').select('id').where('state', '=', 'leased').where((eb) => eb.or([eb('node_id', 'is', null), eb('node_id', 'not in', live)])).execute()
    const n = (await this.free(held.map((h) => h.id), 'abandoned')).length
    if (cluster.shared) {
      const dead = await db.deleteFrom('nodes').where('id', 'not in', live).where('heartbeat_at', '<', this.ctx.now() - cluster.deadAfterMs).returning('id').execute()
      if (dead.length) {
        await db.updateTable('devices').set({ node_id: null }).where('node_id', 'in', dead.map((d) => d.id)).execute()
        this.ctx.log.warn({ nodes: dead.map((d) => d.id), leases: n }, `coordinator(s) ${dead.map((d) => d.id).join(', ')} stopped sending heartbeats; released ${n} lease(s)`)
        this.ctx.bus.emit('network:changed')
        this.ctx.bus.emit('nodes:lost', dead.map((d) => d.id))
      }
    }
    if (n) this.ctx.bus.emit('tasks:ready')
    return n
  }

  /**
   * On start no device is connected to this process yet, so none of its leases can still be
   * honoured; neither can those of dead coordinators. Live coordinators keep theirs.
   */
  async recoverAfterRestart(): Promise<number> {
    const mine = await this.ctx.db.selectFrom('instances').select('id').where('state', '=', 'leased').where('node_id', '=', this.ctx.cluster.nodeId).execute()
    let n = (await this.free(mine.map((m) => m.id), 'abandoned')).length
    n += await this.releaseDeadNodes()
    // A task left leased without a live instance or a result waiting for its verdict (crash
    // between the two writes) is ready again. One with a waiting result is the verifier's
    // (Validator.resettleOrphans): its result is judged, not thrown away.
    const orphans = await this.ctx.db
      .updateTable('tasks')
      .set({ state: 'ready', updated_at: this.ctx.now() })
      .where('state', '=', 'leased')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('instances').select('instances.id').whereRef('instances.task_id', '=', 'tasks.id').where('instances.state', 'in', ['leased', 'pending']))),
      )
      .executeTakeFirst()
    n += Number(orphans.numUpdatedRows)
    return n
  }

  /**
   * Leases back to the queue: those of `ids` still leased become `to`, and their tasks ready
   * unless another copy of one (a straggler's spare) is still running. With `holder` (the device
   * whose session named a lease), a lease must be held by one of the devices named in its chunk
   * (a session only ever names leases written for its own device). A chunk of leases is
   * one transaction of two statements; each lease had been a transaction of its own, and 4,000
   * leases orphaned by devices that left took up to 5.8 s on PostgreSQL under bench:load.
   * Returns the leases freed.
   */
  private async free(ids: readonly number[], to: 'expired' | 'abandoned' | 'failed', opts: { reason?: string; holder?: (id: number) => string } = {}): Promise<{ id: number; task_id: number; device_id: string }[]> {
    const now = this.ctx.now()
    const freed: { id: number; task_id: number; device_id: string }[] = []
    for (const part of inChunks(ids)) {
      const { changed, readied } = await this.ctx.db.transaction().execute(async (trx) => {
        const changed = await trx
          .updateTable('instances')
          .set({ state: to, finished_at: now, error: opts.reason?.slice(0, 500) ?? null })
          .where('id', 'in', part)
          .$if(opts.holder !== undefined, (q) => q.where('device_id', 'in', [...new Set(part.map(opts.holder!))]))
          .where('state', '=', 'leased')
          .returning(['id', 'task_id', 'device_id'])
          .execute()
        if (changed.length === 0) return { changed, readied: [] }
        const readied = await trx
          .updateTable('tasks')
          .set({ state: 'ready', updated_at: now })
          .where('id', 'in', [...new Set(changed.map((c) => c.task_id))])
          .where('state', '=', 'leased')
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('instances').select('instances.id').whereRef('instances.task_id', '=', 'tasks.id').where('instances.state', '=', 'leased'))))
          .returning('id')
          .execute()
        return { changed, readied }
      })
      for (const inst of changed) transition(this.ctx.log, 'instance', inst.id, 'leased', to, { task: inst.task_id, device: inst.device_id })
      for (const t of readied) transition(this.ctx.log, 'task', t.id, 'leased', 'ready', { reason: to })
      // Devices leaving is not the task's fault; failures and lapses are.
      if (to !== 'abandoned') for (const t of new Set(changed.map((c) => c.task_id))) await failJobIfExhausted(this.ctx, t)
      freed.push(...changed)
    }
    return freed
  }
}
